// A session that ended (signed out elsewhere, expired, the user disabled) makes the next
// callback answer 401: go to the login page, and come back here after signing in, instead
// of a page that silently stops updating.
(function () {
  var original = window.fetch;
  window.fetch = function (resource, init) {
    return original.apply(this, arguments).then(function (response) {
      var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
