// The dashboard's only script, and only an aid: every page works without
// it. It redraws the broadcast composer's count and preview as the form
// changes, and a running broadcast's counts as the server sends them.
(function () {
  'use strict';

  var form = document.querySelector('form[data-preview]');
  if (form && window.fetch && window.FormData) {
    var box = document.getElementById('pratinjau');
    var timer = 0, seq = 0;
    var refresh = function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(form.getAttribute('data-preview'), { method: 'POST', body: new FormData(form), credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            // Only the latest answer counts: an older one may come last.
            if (html !== null && mine === seq) box.innerHTML = html;
          })
          .catch(function () {});
      }, 250);
    };
    form.addEventListener('input', refresh);
    form.addEventListener('change', refresh);
  }

  var live = document.querySelector('[data-events]');
  if (live && window.EventSource) {
    var es = new EventSource(live.getAttribute('data-events'));
    var bar = document.getElementById('bc-bar');
    es.addEventListener('progress', function (e) {
      var d = JSON.parse(e.data);
      Object.keys(d.f).forEach(function (k) {
        var els = live.querySelectorAll('[data-f="' + k + '"]');
        for (var i = 0; i < els.length; i++) els[i].textContent = d.f[k];
      });
      if (bar) { bar.max = d.total || 1; bar.value = d.done; }
      if (d.end) es.close();
      // Another status needs other buttons: the page draws them.
      if (d.status !== live.getAttribute('data-status')) {
        es.close();
        window.location.reload();
      }
    });
  }
})();
