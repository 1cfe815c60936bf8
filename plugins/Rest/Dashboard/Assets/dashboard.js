// The dashboard's only script (served by the host; the Content-Security-Policy allows no other).
// It refreshes the part of the page marked data-live every few seconds without reloading the page,
// and pauses while the operator is choosing (a ticked box, a focused field) so that a refresh never
// undoes a selection. The HTML it inserts is the server's own, escaped when it was rendered.
(function () {
  'use strict';
  var region = document.getElementById('live');
  if (!region || !region.dataset.live) {
    return;
  }

  var url = region.dataset.live;
  var every = 3000;

  function choosing() {
    var active = document.activeElement;
    return region.querySelector('input[type=checkbox]:checked') !== null ||
      (active !== null && region.contains(active) && (active.tagName === 'INPUT' || active.tagName === 'SELECT'));
  }

  function refresh() {
    if (document.hidden || choosing()) {
      window.setTimeout(refresh, every);
      return;
    }

    window.fetch(url, { credentials: 'same-origin', headers: { 'Accept': 'text/html' }, cache: 'no-store' })
      .then(function (response) {
        if (response.status === 401) {
          window.location.reload(); // the session ended: the page itself asks for a login
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && !choosing()) {
          region.innerHTML = html;
          region.dataset.updated = String(Date.now());
        }
      })
      .catch(function () { /* the host is restarting: the next round tries again */ })
      .then(function () { window.setTimeout(refresh, every); });
  }

  window.setTimeout(refresh, every);
})();
