/* The run page's log window (dashboard/runlog/panel.py): draws LOG_DATA's rows and scrolls.

   Rows are [number, time, [[text, classes, style], …], stderr?], made safe on the server
   (dashboard/runlog/view.py); text is set with textContent, never as markup, so a log's
   "<script>" is shown, not run. A new window (its key changed) replaces every line; the
   same window with more rows (the live tail) appends only the new ones. Then it scrolls
   as the window's `scroll` says, once per window:
   tail   — to the bottom, and keeps following new lines until the reader scrolls up
            (scrolling back to the bottom, or choosing a task, follows again);
   bottom — an earlier page: its last line is the one before the page left, so start there;
   top    — a later page: start at its top;
   mark   — a link to a line or a search match: centre the highlighted line. */
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

  function lineNode(row, mark) {
    var line = document.createElement("span");
    line.className = (row[0] === mark ? "log-line log-mark" : "log-line") + (row[3] ? " log-err" : "");
    line.dataset.line = row[0];
    var no = document.createElement("a");
    no.className = "log-no";
    no.href = "#L" + row[0];
    no.textContent = String(row[0]);
    var ts = document.createElement("span");
    ts.className = "log-ts";
    ts.textContent = row[1];
    line.appendChild(no);
    line.appendChild(ts);
    row[2].forEach(function (seg) {
      if (seg.length === 1) { line.appendChild(document.createTextNode(seg[0])); return; }
      var span = document.createElement("span");
      if (seg[1]) { span.className = seg[1]; }
      if (seg[2]) { Object.keys(seg[2]).forEach(function (k) { span.style[k] = seg[2][k]; }); }
      span.textContent = seg[0];
      line.appendChild(span);
    });
    return line;
  }

  function scroll(el, data, fresh) {
    if (!el) { return; }
    if (!fresh) {
      if (data.scroll === "tail" && el.dataset.follow !== "false") { el.scrollTop = el.scrollHeight; }
      return;
    }
    if (data.scroll === "mark") {
      var mark = el.querySelector(".log-mark");
      el.dataset.follow = "false";
      if (mark) {
        el.scrollTop = mark.offsetTop - el.clientHeight / 2;
        mark.scrollIntoView({block: "nearest", behavior: "instant"});
      }
    } else if (data.scroll === "top") {
      el.dataset.follow = "false";
      el.scrollTop = 0;
    } else {
      el.dataset.follow = data.scroll === "tail" ? "true" : "false";
      el.scrollTop = el.scrollHeight;
    }
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside);
  window.dash_clientside.millrace = Object.assign({}, window.dash_clientside.millrace, {
    renderLog: function (data) {
      var box = document.getElementById("log-lines");
      if (!box || !data) { return window.dash_clientside.no_update; }
      var rows = data.rows || [];
      var fresh = box.dataset.key !== data.key;
      var start = fresh ? 0 : Number(box.dataset.count || 0);
      var frag = document.createDocumentFragment();
      for (var i = start; i < rows.length; i++) { frag.appendChild(lineNode(rows[i], data.mark)); }
      if (fresh) { box.replaceChildren(frag); } else { box.appendChild(frag); }
      box.dataset.key = data.key;
      box.dataset.count = rows.length;
      scroll(view(), data, fresh);
      return data.key;
    }
  });
})();
