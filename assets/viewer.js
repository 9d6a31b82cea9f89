// The reader's time zone, for the server to show times in (dashboard/viewer.py). Assets run
// before Dash's renderer asks for any page content, so even the first page uses it.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) {
      document.cookie = "millrace_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* an old browser: times stay in UTC, labelled so */ }
})();
