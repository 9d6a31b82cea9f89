/* Follow the tail of the live log until the reader scrolls up; scrolling back to the
   bottom (or choosing another task) follows again. The server only appends lines
   (dashboard/runlog/panel.py); keeping the view at the bottom is the browser's job. */
(function () {
  var NEAR = 40;
  function view() { return document.getElementById("log-view"); }
  document.addEventListener("scroll", function (event) {
    var el = event.target;
    if (!el || el.id !== "log-view") { return; }
    el.dataset.follow = (el.scrollHeight - el.scrollTop - el.clientHeight < NEAR) ? "true" : "false";
  }, true);
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest(".task-pick");
    var el = view();
    if (pick && el) { el.dataset.follow = "true"; }
  }, true);
  new MutationObserver(function () {
    var el = view();
    if (el && el.dataset.follow !== "false") { el.scrollTop = el.scrollHeight; }
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
