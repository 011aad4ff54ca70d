// Lindungi web chat. Plain ES2015, no dependencies. The conversation lives on
// the server; this page keeps a copy of what it showed (texts only, personal
// data in them is already masked by the bot) in localStorage so a reload can
// show it again, then takes new replies from the event stream. The copy
// lives no longer than the chat's cookie (data-keep seconds after the last
// visit) and is dropped when the chat's data is erased (/hapus).
(function () {
  'use strict';
  var d = document.body.dataset;
  var main = document.getElementById('main');
  var log = document.getElementById('log');
  var form = document.getElementById('form');
  var input = document.getElementById('msg');
  var typing = document.getElementById('typing');
  var statusEl = document.getElementById('status');
  var KEY = 'lindungi.t.' + d.tag;
  var MAX = 80; // messages kept for a reload
  var KEEP = (parseInt(d.keep, 10) || 7776000) * 1000; // ms the copy is kept after the last visit
  var state = load();
  var waiting = 0, typingTimer = 0, usePoll = !window.EventSource, es = null, pollTimer = 0;
  var relang = false; // set by the language switch: reload after the bot's answer

  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(KEY));
      if (s && s.exp && s.exp < Date.now()) {
        localStorage.removeItem(KEY);
        s = null;
      }
      if (s && s.m instanceof Array) {
        if (!(s.ids instanceof Array)) s.ids = [];
        return s;
      }
    } catch (e) { /* private mode, broken JSON: start empty */ }
    return { m: [], last: 0, ids: [] };
  }
  function rekey(tag) {
    try { localStorage.removeItem(KEY); } catch (e) { /* no storage */ }
    KEY = 'lindungi.t.' + tag;
    save();
  }
  function save() {
    if (state.m.length > MAX) state.m = state.m.slice(-MAX);
    state.exp = Date.now() + KEEP;
    try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* full or disabled */ }
  }
  try { // transcripts of older chats of this browser
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var k = localStorage.key(i);
      if (k && k.indexOf('lindungi.t.') === 0 && k !== KEY) localStorage.removeItem(k);
    }
  } catch (e) { /* no storage */ }

  function disableAll() {
    var bs = log.querySelectorAll('.choices button');
    for (var i = 0; i < bs.length; i++) bs[i].disabled = true;
  }

  function render(m, active) {
    var row = document.createElement('div');
    row.className = 'msg ' + (m.w === 'u' ? 'me' : 'bot');
    var p = document.createElement('p');
    p.className = 'bubble';
    var who = document.createElement('span');
    who.className = 'sr';
    who.textContent = (m.w === 'u' ? d.you : d.bot) + ': ';
    p.appendChild(who);
    addText(p, String(m.t), m.k || []);
    if (m.f) {
      // The membership card (or a QR code): a picture under its caption,
      // opened full size with a tap, to look at or save.
      var a = document.createElement('a');
      a.className = 'photo-link';
      a.href = m.f;
      a.target = '_blank';
      a.rel = 'noopener';
      a.title = d.open;
      var img = document.createElement('img');
      img.className = 'photo';
      img.src = m.f;
      img.alt = m.t;
      img.loading = 'lazy';
      a.appendChild(img);
      p.appendChild(document.createElement('br'));
      p.appendChild(a);
      var dl = document.createElement('a');
      dl.className = 'save';
      dl.href = m.f;
      dl.setAttribute('download', 'lindungi.png');
      dl.textContent = d.save;
      p.appendChild(dl);
    }
    row.appendChild(p);
    if (m.c && m.c.length) {
      var g = document.createElement('div');
      g.className = 'choices';
      g.setAttribute('role', 'group');
      m.c.forEach(function (c) {
        var b = document.createElement('button');
        b.type = 'button';
        b.textContent = c.label;
        b.setAttribute('data-choice', c.data);
        if (m.p === c.data) b.className = 'picked';
        b.disabled = !active;
        b.addEventListener('click', function () { choose(m, c, b); });
        g.appendChild(b);
      });
      row.appendChild(g);
    }
    log.appendChild(row);
    return row;
  }

  // addText writes a bot's text: web addresses (http and https only) as
  // links, each value to copy with a copy button after it, and numbers like
  // LD2611-B1VK7D or 0812-••••-7890 kept on one line. Only text nodes and
  // elements made here: nothing in a text is read as HTML.
  function addText(p, text, copy) {
    var url = /(https?:\/\/[^\s<>"']+)/;
    text.split(url).forEach(function (part, i) {
      if (!part) return;
      if (i % 2) {
        var href = part.replace(/[.,;:!?)\]]+$/, ''); // a sentence's end is not the link's
        var a = document.createElement('a');
        a.href = href;
        a.textContent = href;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        p.appendChild(a);
        if (href.length < part.length) addPlain(p, part.slice(href.length), copy);
        return;
      }
      addPlain(p, part, copy);
    });
  }
  function addPlain(p, text, copy) {
    var codes = copy.filter(function (c) { return c && text.indexOf(c) >= 0; });
    if (codes.length) {
      var c = codes[0], at = text.indexOf(c);
      addPlain(p, text.slice(0, at), []);
      var code = document.createElement('span');
      code.className = 'code nw';
      code.textContent = c;
      p.appendChild(code);
      p.appendChild(copyButton(c));
      addPlain(p, text.slice(at + c.length), copy);
      return;
    }
    text.split(/(\S*\d\S*-\S+)/).forEach(function (part, i) {
      if (!part) return;
      var n = document.createTextNode(part);
      if (i % 2) { var s = document.createElement('span'); s.className = 'nw'; s.appendChild(n); n = s; }
      p.appendChild(n);
    });
  }
  function copyButton(value) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'copy';
    b.textContent = d.copy;
    b.setAttribute('aria-label', d.copy + ' ' + value);
    b.addEventListener('click', function () {
      var done = function () { b.textContent = d.copied; setTimeout(function () { b.textContent = d.copy; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(done, function () { copyOld(value) && done(); });
      } else if (copyOld(value)) {
        done();
      }
    });
    return b;
  }
  // copyOld copies where the clipboard API is not open to the page (plain
  // http on a phone in the same network).
  function copyOld(value) {
    var t = document.createElement('textarea');
    t.value = value;
    t.setAttribute('readonly', '');
    t.style.position = 'fixed';
    t.style.opacity = '0';
    document.body.appendChild(t);
    t.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(t);
    return ok;
  }

  function scrollTo(row) {
    // Show a long message from its start, a short one with everything below it.
    if (row && main.scrollHeight - row.offsetTop > main.clientHeight) main.scrollTop = row.offsetTop - 8;
    else main.scrollTop = main.scrollHeight;
  }

  function setInputMode(kind) {
    var phone = kind === 'contact', number = kind === 'number';
    input.setAttribute('inputmode', phone ? 'tel' : number ? 'numeric' : 'text');
    input.setAttribute('autocomplete', phone ? 'tel' : 'off');
    input.placeholder = phone ? d.phPhone : number ? d.phNumber : d.ph;
  }

  function status(text) {
    statusEl.textContent = text || '';
    statusEl.hidden = !text;
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) {
      typingTimer = setTimeout(function () { typing.hidden = true; }, 20000);
      main.scrollTop = main.scrollHeight;
    }
  }

  // mask hides the middle of long numbers (a NIK, a phone number) the worker
  // typed, on screen and in the stored copy, as the bot does in its replies.
  function mask(t) {
    return t.replace(/\+?\d[\d .-]{8,}\d/g, function (run) {
      var n = run.replace(/\D/g, '').length, seen = 0;
      if (n < 10) return run;
      return run.replace(/\d/g, function (c) { seen++; return seen <= 4 || seen > n - 4 ? c : '\u2022'; });
    });
  }

  function newId() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }

  // say shows the user's message (unless silent) and posts it.
  function say(payload, shown) {
    disableAll();
    if (shown) {
      var m = { w: 'u', t: mask(shown) };
      state.m.push(m);
      save();
      scrollTo(render(m, false));
    }
    payload.id = newId();
    waiting++;
    setTyping(true);
    send(payload, 0);
  }

  function send(payload, attempt) {
    fetch('api/messages', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload)
    }).then(function (r) {
      if (r.status === 202) {
        status(''); expectReply();
        // A new cookie (after consent, a claim or an erasure): the copy of
        // the conversation moves to the new cookie's name.
        return r.json().then(function (b) { if (b && b.tag) rekey(b.tag); }, function () {});
      }
      if (r.status === 429 && attempt < 5) {
        status(d.errBusy);
        setTimeout(function () { send(payload, attempt + 1); }, (parseInt(r.headers.get('Retry-After'), 10) || 5) * 1000);
        return;
      }
      if (r.status >= 500 && attempt < 5) throw new Error(String(r.status));
      waiting = 0; setTyping(false);
      status(r.status === 403 ? d.errChat : d.errSend);
    }).catch(function () { // offline: the same id again, so the server handles it once
      if (attempt < 8) {
        status(d.errOffline);
        setTimeout(function () { send(payload, attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
      } else { waiting = 0; setTyping(false); status(d.errSend); }
    });
  }

  // If the event stream delivers nothing soon after an accepted message, a
  // proxy is probably holding it back: switch to long polling.
  function expectReply() {
    if (usePoll) return;
    var seen = state.last;
    setTimeout(function () {
      if (waiting > 0 && state.last === seen && !usePoll) {
        usePoll = true;
        if (es) es.close();
        poll();
      }
    }, 8000);
  }

  function choose(m, c, b) {
    if (b.disabled) return;
    m.p = c.data;
    b.className = 'picked';
    log.focus({ preventScroll: true }); // the button is about to be disabled; keep focus in the chat, keep the keyboard closed
    say({ choice: c.data }, c.label);
  }

  function got(list) {
    var first = null;
    list.forEach(function (r) {
      // Delivered twice (a retry, another tab's stream): shown once. By id,
      // not "newer than the last": a reply committed late has a lower id.
      if (r.id && state.ids.indexOf(r.id) >= 0) return;
      if (r.id) {
        state.ids.push(r.id);
        if (state.ids.length > 200) state.ids = state.ids.slice(-200);
      }
      state.last = Math.max(state.last, r.id || 0);
      if (r.forget) { // the chat's data was erased: so is what this page kept and shows
        try { localStorage.removeItem(KEY); } catch (e) { /* no storage */ }
        state.m = [];
        while (log.firstChild) log.removeChild(log.firstChild);
        first = null;
      }
      disableAll();
      var m = { w: 'b', t: r.text, c: r.choices || [], i: r.input || '', f: r.photo || '', k: r.copy || [] };
      state.m.push(m);
      var row = render(m, true);
      if (!first) first = row;
      setInputMode(m.i);
    });
    if (!first) return;
    save();
    if (relang) { // the chat's language changed: the page's own words follow
      window.location.reload();
      return;
    }
    waiting = 0;
    setTyping(false);
    status('');
    scrollTo(first);
  }

  function connect() {
    if (usePoll) return poll();
    es = new EventSource('api/events');
    es.addEventListener('open', function () { status(''); });
    var batch = [], flush = 0;
    es.addEventListener('reply', function (e) {
      try { batch.push(JSON.parse(e.data)); } catch (err) { return; /* ignore a broken event */ }
      clearTimeout(flush); // the replies to one message come together: show them as one batch
      flush = setTimeout(function () { var b = batch; batch = []; got(b); }, 60);
    });
    es.addEventListener('error', function () {
      if (es.readyState === 2) { usePoll = true; poll(); } // refused (429, 401…): polling says why
    });
  }

  function poll() {
    clearTimeout(pollTimer);
    fetch('api/poll', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.status === 429) return (parseInt(r.headers.get('Retry-After'), 10) || 5) * 1000;
      if (r.status === 401 || r.status === 403) { status(d.errChat); return -1; }
      if (!r.ok) return 3000;
      return r.json().then(function (list) { got(list); return 0; });
    }).catch(function () { return 3000; }).then(function (wait) {
      if (wait >= 0) pollTimer = setTimeout(poll, wait);
    });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var t = input.value.trim();
    if (!t) { input.focus(); return; }
    input.value = '';
    say({ text: t }, t);
  });
  document.getElementById('help').addEventListener('click', function () {
    say({ text: '/bantuan' }, d.help);
  });
  // The language switch: the chat's language (/bahasa) and the page's,
  // which a cookie keeps for the next visit.
  document.getElementById('lang').addEventListener('click', function () {
    var to = this.getAttribute('data-to');
    document.cookie = 'lindungi_lang=' + to + '; path=/; max-age=31536000; SameSite=Lax';
    relang = true;
    say({ text: '/bahasa ' + to }, this.textContent);
  });

  // Show what this browser saw before; only the newest message's buttons work.
  var last = null;
  state.m.forEach(function (m, i) {
    last = render(m, i === state.m.length - 1 && m.w === 'b');
    if (m.w === 'b') setInputMode(m.i);
  });
  main.scrollTop = main.scrollHeight;
  connect();
  if (!last) say({ text: '/start' }, ''); // a new chat: the bot greets and asks for consent
})();
