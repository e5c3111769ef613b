/**
 * The dashboard's script: plain browser JavaScript (no build step, nothing fetched from
 * elsewhere), served at /console.js. It polls the JSON API (src/http/console-api.ts) once a
 * second and re-draws the view the address names: #/ the endpoints, #/endpoints/NAME one
 * endpoint with its recent attempts and dead letters, #/trace/QUERY a trace. Text from Redis is
 * only ever set as textContent, never as HTML. When the API answers 401 it asks for the token
 * and keeps it in sessionStorage (this tab only).
 * test/unit/http/dashboard.test.ts checks that it parses.
 */
export const dashboardScript = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'regnotify.console.token';
  var POLL_MS = 1000;
  var view = document.getElementById('view');
  var message = document.getElementById('message');
  var status = document.getElementById('status');
  var authForm = document.getElementById('auth');
  var info = { readOnly: true };
  var rates = {};
  var busy = false;
  var seq = 0;
  var lastTrace = 0;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'onclick') node.addEventListener('click', attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  function AuthNeeded() {}

  function api(method, path, body) {
    var headers = {};
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers['Authorization'] = 'Bearer ' + token;
    var init = { method: method, headers: headers };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body || {});
    }
    return fetch('/api/v1/' + path, init).then(function (res) {
      if (res.status === 401) {
        authForm.style.display = 'block';
        throw new AuthNeeded();
      }
      authForm.style.display = 'none';
      return res.json().then(
        function (data) {
          if (!res.ok) throw new Error((data.error && data.error.message) || 'HTTP ' + res.status);
          return data;
        },
        function () {
          throw new Error('HTTP ' + res.status);
        },
      );
    });
  }

  function say(text, isError) {
    message.textContent = '';
    if (text) message.appendChild(el('div', { class: 'notice' + (isError ? ' error' : ''), text: text }));
  }

  function seconds(ms) {
    return ms >= 60000 ? Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s' : (ms / 1000).toFixed(1) + ' s';
  }

  function when(ms) {
    return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  }

  /** Deliveries per second, from the change of successes over the last ten seconds. */
  function rateOf(e, now) {
    var samples = (rates[e.name] = (rates[e.name] || []).filter(function (s) { return now - s.at <= 10000; }));
    samples.push({ at: now, successes: e.successes });
    var first = samples[0];
    if (now - first.at < 500) return '-';
    return ((e.successes - first.successes) / ((now - first.at) / 1000)).toFixed(1) + '/s';
  }

  /** The state, with the breaker's backoff counting down (see tick). */
  function stateCell(e, tag) {
    var node = el(tag, { class: 'state state-' + e.state, 'data-testid': 'state' });
    if (e.state === 'failing' && e.backoffRemainingMs > 0) {
      node.setAttribute('data-backoff-until', String(Date.now() + e.backoffRemainingMs));
      node.setAttribute('data-failures', String(e.recentFailures));
    }
    node.textContent = stateText(node, e.state, e.recentFailures);
    return node;
  }

  function stateText(node, state, failures) {
    if (state !== 'failing') return state;
    var until = Number(node.getAttribute('data-backoff-until') || '0');
    var left = until - Date.now();
    return left > 0
      ? 'failing: backoff ' + seconds(left) + ' left'
      : 'failing (' + failures + ' in a row)';
  }

  function tick() {
    var nodes = document.querySelectorAll('[data-backoff-until]');
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = stateText(nodes[i], 'failing', nodes[i].getAttribute('data-failures'));
    }
  }

  function act(what, path, body, done) {
    if (!window.confirm(what + '?')) return;
    api('POST', path, body).then(
      function (r) {
        say(done(r));
        refresh(true);
      },
      function (err) {
        if (!(err instanceof AuthNeeded)) say(what + ' failed: ' + err.message, true);
      },
    );
  }

  function pauseButton(e) {
    var paused = e.paused;
    return el('button', {
      'data-testid': paused ? 'resume' : 'pause',
      disabled: info.readOnly ? 'disabled' : null,
      text: paused ? 'Resume' : 'Pause',
      onclick: function () {
        act((paused ? 'Resume' : 'Pause') + ' deliveries to ' + e.name, 'endpoints/' + encodeURIComponent(e.name) + (paused ? '/resume' : '/pause'), {}, function () {
          return e.name + (paused ? ' resumed' : ' paused');
        });
      },
    });
  }

  function endpointsView(data) {
    var rows = data.endpoints.map(function (e) {
      return el('tr', { 'data-endpoint': e.name },
        el('td', {}, el('a', { href: '#/endpoints/' + encodeURIComponent(e.name), text: e.name })),
        stateCell(e, 'td'),
        el('td', { class: 'num', 'data-testid': 'pending', text: String(e.pending) }),
        el('td', { class: 'num', text: e.oldestPendingAgeMs > 0 ? seconds(e.oldestPendingAgeMs) : '-' }),
        el('td', { class: 'num', text: rateOf(e, data.now) }),
        el('td', { class: 'num', 'data-testid': 'dead', text: String(e.dead) }),
        el('td', { class: 'num', text: String(e.events) }),
        el('td', { class: 'num', text: String(e.successes) }),
        el('td', { class: 'num', text: String(e.failures + e.errors) }),
        el('td', {}, pauseButton(e)));
    });
    var head = ['endpoint', 'state', 'pending', 'oldest', 'rate', 'dead', 'events', 'delivered', 'failed', ''];
    return el('div', {},
      el('h2', { text: 'Endpoints' }),
      el('table', { 'data-testid': 'endpoints' },
        el('thead', {}, el('tr', {}, ...head.map(function (h, i) {
          return el('th', { class: i >= 2 && i <= 8 ? 'num' : '', text: h });
        }))),
        el('tbody', {}, ...rows)),
      rows.length === 0 ? el('p', { class: 'muted', text: 'No endpoints configured.' }) : null);
  }

  function card(label, value, testid) {
    return el('div', { class: 'card' }, el('span', { class: 'muted', text: label }), el('b', { 'data-testid': testid || '', text: value }));
  }

  function attemptsTable(attempts) {
    if (attempts.length === 0) return el('p', { class: 'muted', text: 'No attempts recorded.' });
    return el('table', { 'data-testid': 'attempts' },
      el('thead', {}, el('tr', {}, ...['time', 'event', 'action', 'target', 'attempt', 'result', 'duration', 'worker'].map(function (h) { return el('th', { text: h }); }))),
      el('tbody', {}, ...attempts.map(function (a) {
        return el('tr', {},
          el('td', { text: when(a.at) }),
          el('td', { class: 'mono', text: a.eventId }),
          el('td', { text: a.action }),
          el('td', { class: 'mono', text: a.repository + (a.tag ? ':' + a.tag : a.digest ? '@' + a.digest : '') }),
          el('td', { class: 'num', text: String(a.attempt) }),
          el('td', { class: a.ok ? 'state-ok' : 'state-failing', text: a.result }),
          el('td', { class: 'num', text: a.durationMs + ' ms' }),
          el('td', { class: 'muted', text: a.worker }));
      })));
  }

  function deadTable(name, letters, total) {
    if (letters.length === 0) return el('p', { class: 'muted', 'data-testid': 'no-dead', text: 'No dead letters.' });
    var path = 'endpoints/' + encodeURIComponent(name) + '/dead/';
    var dis = info.readOnly ? 'disabled' : null;
    return el('div', {},
      el('div', { class: 'bar' },
        el('button', { 'data-testid': 'replay-all', disabled: dis, text: 'Replay all', onclick: function () {
          act('Replay all ' + total + ' dead letters of ' + name, path + 'replay', { all: true }, function (r) { return 'Replayed ' + r.replayed + ' event(s)'; });
        } }),
        el('button', { 'data-testid': 'drop-all', disabled: dis, text: 'Drop all', onclick: function () {
          act('Drop all ' + total + ' dead letters of ' + name + ' for good', path + 'drop', { all: true }, function (r) { return 'Dropped ' + r.dropped + ' dead letter(s)'; });
        } })),
      el('table', { 'data-testid': 'dead-letters' },
        el('thead', {}, el('tr', {}, ...['given up', 'event', 'action', 'target', 'attempts', 'last error', ''].map(function (h) { return el('th', { text: h }); }))),
        el('tbody', {}, ...letters.map(function (d) {
          return el('tr', { 'data-event-id': d.id },
            el('td', { text: when(d.at) }),
            el('td', { class: 'mono', text: d.id }),
            el('td', { text: d.action }),
            el('td', { class: 'mono', text: d.target }),
            el('td', { class: 'num', text: String(d.attempts) }),
            el('td', { text: d.reason + ': ' + d.detail }),
            el('td', {},
              el('button', { 'data-testid': 'replay', disabled: dis, text: 'Replay', onclick: function () {
                act('Replay event ' + d.id, path + 'replay', { ids: [d.id] }, function (r) { return 'Replayed ' + r.replayed + ' event(s)'; });
              } }), ' ',
              el('button', { 'data-testid': 'drop', disabled: dis, text: 'Drop', onclick: function () {
                act('Drop event ' + d.id + ' for good', path + 'drop', { ids: [d.id] }, function (r) { return 'Dropped ' + r.dropped + ' dead letter(s)'; });
              } })));
        }))));
  }

  function endpointView(data) {
    var e = data.endpoint;
    var state = el('div', { class: 'card' }, el('span', { class: 'muted', text: 'state' }), stateCell(e, 'b'));
    return el('div', { 'data-endpoint': e.name },
      el('h2', {}, el('a', { href: '#/', text: 'Endpoints' }), ' / ' + e.name),
      el('div', { class: 'cards' }, state,
        card('pending', String(e.pending), 'pending'),
        card('oldest', e.oldestPendingAgeMs > 0 ? seconds(e.oldestPendingAgeMs) : '-'),
        card('rate', rateOf(e, data.now)),
        card('delivered', String(e.successes)),
        card('failed', String(e.failures + e.errors)),
        card('dead', String(e.dead), 'dead')),
      el('div', { class: 'bar' }, pauseButton(e)),
      el('h2', { text: 'Recent attempts' }), attemptsTable(data.attempts),
      el('h2', { text: 'Dead letters' }), deadTable(e.name, data.deadLetters, e.dead),
      e.dead > data.deadLetters.length ? el('p', { class: 'muted', text: 'The newest ' + data.deadLetters.length + ' of ' + e.dead + ' are shown.' }) : null);
  }

  function traceView(q, data) {
    var parts = [el('h2', { text: 'Trace: ' + q })];
    if (data.events.length === 0) parts.push(el('p', { class: 'muted', 'data-testid': 'trace-empty', text: 'No event found.' }));
    data.events.forEach(function (t) {
      parts.push(el('div', { 'data-testid': 'trace-event' },
        el('h2', { class: 'mono', text: t.eventId + '  ' + t.action + ' ' + t.target })));
      t.endpoints.forEach(function (ep) {
        parts.push(el('div', { 'data-testid': 'trace-endpoint', 'data-endpoint': ep.endpoint },
          el('p', {}, el('b', { text: ep.endpoint }), ': ', el('span', { 'data-testid': 'trace-state', text: ep.state }),
            ep.acceptedAt ? el('span', { class: 'muted', text: ' (accepted ' + when(ep.acceptedAt) + ')' }) : null,
            ep.reason ? el('span', { class: 'muted', text: ' ' + ep.reason }) : null),
          attemptsTable(ep.attempts)));
      });
    });
    return el('div', {}, ...parts);
  }

  function route() {
    var hash = location.hash.replace(/^#/, '') || '/';
    var m = /^\/endpoints\/([^/]+)$/.exec(hash);
    if (m) return { kind: 'endpoint', name: decodeURIComponent(m[1]) };
    m = /^\/trace\/(.+)$/.exec(hash);
    if (m) return { kind: 'trace', q: decodeURIComponent(m[1]) };
    return { kind: 'endpoints' };
  }

  function load(r) {
    if (r.kind === 'endpoint') return api('GET', 'endpoints/' + encodeURIComponent(r.name)).then(endpointView);
    if (r.kind === 'trace') return api('GET', 'trace?q=' + encodeURIComponent(r.q)).then(function (d) { return traceView(r.q, d); });
    return api('GET', 'endpoints').then(endpointsView);
  }

  /** Loads the view the address names; only the newest load is shown (a slow one is dropped). */
  function refresh(force) {
    if (busy && !force) return;
    var r = route();
    // A trace reads every endpoint's whole history: every 5 s is live enough.
    if (r.kind === 'trace' && !force && Date.now() - lastTrace < 5000) return;
    if (r.kind === 'trace') lastTrace = Date.now();
    busy = true;
    var mine = ++seq;
    load(r).then(
      function (node) {
        if (mine !== seq) return;
        view.textContent = '';
        view.appendChild(node);
        status.textContent = 'updated ' + new Date().toLocaleTimeString();
      },
      function (err) {
        if (mine === seq && !(err instanceof AuthNeeded)) status.textContent = 'update failed: ' + err.message;
      },
    ).then(function () { if (mine === seq) busy = false; });
  }

  authForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById('auth-token').value);
    start();
  });
  document.getElementById('search').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = document.getElementById('search-input').value.trim();
    if (q) location.hash = '#/trace/' + encodeURIComponent(q);
  });
  window.addEventListener('hashchange', function () { say(''); refresh(true); });

  function start() {
    api('GET', '').then(function (i) { info = i; refresh(true); }, function () {});
  }
  start();
  setInterval(function () { refresh(false); }, POLL_MS);
  setInterval(tick, 200);
})();
`;
