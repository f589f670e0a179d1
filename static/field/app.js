/* gwmap field page: today's stops, navigation, one-tap inspections, offline.
 *
 * Plain JavaScript, no framework: the page must open on a cheap phone with no network.  What the
 * officer submits goes first into IndexedDB ("outbox", one record per inspection under an idempotency
 * key made here), then to POST /api/gwmap/field/inspections whenever the network answers; the server
 * stores each key once.  Typing and photos at a stop are kept as a draft as they happen, so a reload,
 * a dead battery or a dropped network loses nothing.  Text from the server (descriptions, names) is
 * only ever set as textContent, never parsed as HTML.
 */
(function () {
  'use strict';

  const API = '/api/gwmap/field';
  const STRINGS = JSON.parse(document.getElementById('gw-strings').textContent || '{}') || {};
  let lang = document.documentElement.lang === 'en' ? 'en' : 'zh';

  function t(key, params) {
    let s = (STRINGS[lang] && STRINGS[lang][key]) || (STRINGS.zh && STRINGS.zh[key]) || key;
    for (const [k, v] of Object.entries(params || {})) s = s.split('{' + k + '}').join(String(v));
    return s;
  }

  /* ------------------------------------------------------------------ tiny DOM helper */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  const $ = (sel) => document.querySelector(sel);

  /* ------------------------------------------------------------------ IndexedDB */
  const dbReady = new Promise((resolve, reject) => {
    const req = indexedDB.open('gwmap-field', 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore('outbox', { keyPath: 'key' });
      db.createObjectStore('drafts', { keyPath: 'id' });
      db.createObjectStore('cache', { keyPath: 'name' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });

  async function tx(store, mode, work) {
    const db = await dbReady;
    return new Promise((resolve, reject) => {
      const x = db.transaction(store, mode);
      const req = work(x.objectStore(store));
      let out;
      if (req) req.onsuccess = () => { out = req.result; };
      x.oncomplete = () => resolve(out);
      x.onerror = () => reject(x.error);
      x.onabort = () => reject(x.error);
    });
  }
  const idbPut = (store, value) => tx(store, 'readwrite', (s) => s.put(value));
  const idbGet = (store, key) => tx(store, 'readonly', (s) => s.get(key));
  const idbAll = (store) => tx(store, 'readonly', (s) => s.getAll());
  const idbDel = (store, key) => tx(store, 'readwrite', (s) => s.delete(key));

  /* ------------------------------------------------------------------ state */
  const state = {
    me: null,          // the signed-in officer's user name (from the last answer of /today)
    day: null,         // the last /today answer
    dayFrom: null,     // 'network' or the time it was kept (shown when offline)
    outbox: [],
    fix: null,         // {lon, lat, accuracy, at}
    geoError: null,
    online: navigator.onLine,
    view: 'today',
    ref: null,         // the stop open
    form: null,        // {id, outcome, note, deadline, photos: [{name, data, lon, lat, accuracy, at}], stage, version}
    map: null,
    denied: null,      // a message when this account may not use the page
  };

  function stageName(stage) {
    const key = 'vocab.lead_stage.' + stage;
    return (STRINGS[lang] && STRINGS[lang][key]) ? t(key) : t('fieldapp.stage.' + (stage || 'none'));
  }

  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function toast(text) {
    const el = $('#toast');
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d)) return String(iso);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getMonth() + 1}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  function metres(lon1, lat1, lon2, lat2) {  // haversine, for the page's own warnings (the server measures again)
    const r = 6371008.8, rad = Math.PI / 180;
    const a = Math.sin((lat2 - lat1) * rad / 2) ** 2 +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin((lon2 - lon1) * rad / 2) ** 2;
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  /* ------------------------------------------------------------------ the network */
  async function api(path, options) {
    const answer = await fetch(API + path, Object.assign({ credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' } }, options || {}));
    let body = {};
    try { body = await answer.json(); } catch (e) { body = {}; }
    return { status: answer.status, body, offline: answer.headers.get('x-gwmap-offline') === '1' };
  }

  async function loadToday() {
    let got;
    try {
      got = await api('/today');
    } catch (e) {  // no network: the kept copy
      state.online = false;
      const kept = await idbGet('cache', 'today');
      if (kept && (!state.me || kept.value.user.name === state.me)) {
        state.day = kept.value; state.me = kept.value.user.name; state.dayFrom = kept.at;
      }
      return state.day ? 'ok' : 'offline';
    }
    if (got.offline) {  // the service worker's kept copy: no network either
      state.online = false;
      const kept = await idbGet('cache', 'today');
      state.day = got.body; state.me = got.body.user.name; state.denied = null;
      state.dayFrom = kept ? kept.at : '?';
      return 'ok';
    }
    state.online = true;
    if (got.status === 200) {
      state.day = got.body; state.me = got.body.user.name; state.dayFrom = 'network'; state.denied = null;
      await idbPut('cache', { name: 'today', at: new Date().toISOString(), value: got.body });
      return 'ok';
    }
    if (got.status === 401) return 'signin';
    if (got.status === 403) { state.denied = got.body.message || t('fieldapp.denied'); return 'denied'; }
    toast(got.body.message || t('err.field.internal'));
    return state.day ? 'ok' : 'error';
  }

  let syncing = false;
  async function sync() {
    if (syncing || !state.me) return;
    syncing = true;
    let moved = false;
    try {
      const waiting = (await idbAll('outbox')).filter((i) => i.state === 'waiting' && i.user === state.me)
        .sort((a, b) => a.created.localeCompare(b.created));
      for (const item of waiting) {
        let got;
        try {
          got = await api('/inspections', { method: 'POST', body: JSON.stringify(item.body) });
        } catch (e) { state.online = false; break; }
        state.online = true;
        if (got.status === 401) { await show('signin'); break; }
        if (got.status === 429 || got.status >= 500) { item.error = got.body.message || ''; await idbPut('outbox', item); break; }
        if (got.status === 200) {
          item.state = 'sent';
          item.body.photos = item.body.photos.map((p) => Object.assign({}, p, { data: null }));  // the server has them
        } else if (got.status === 409) {
          item.state = 'conflict';
        } else {
          item.state = 'refused';
        }
        item.receipt = got.body;
        item.error = got.body.message || (got.status === 200 ? '' : 'HTTP ' + got.status);
        item.done = new Date().toISOString();
        await idbPut('outbox', item);
        moved = true;
      }
    } finally {
      syncing = false;
    }
    await refreshOutbox();
    if (moved && state.online) {
      await loadToday();
      if (state.view === 'today' || state.view === 'queue') render();
    }
  }

  async function refreshOutbox() {
    state.outbox = (await idbAll('outbox')).filter((i) => i.user === state.me)
      .sort((a, b) => b.created.localeCompare(a.created));
    renderStatus();
  }

  /* ------------------------------------------------------------------ position */
  function watchPosition() {
    if (!('geolocation' in navigator)) { state.geoError = t('fieldapp.geo.none'); return; }
    navigator.geolocation.watchPosition((p) => {
      state.fix = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy: Math.round(p.coords.accuracy),
        at: new Date(p.timestamp || Date.now()).toISOString() };
      state.geoError = null;
      renderPosition();
      drawMe();
    }, (err) => {
      state.geoError = err.code === 1 ? t('fieldapp.geo.denied') : t('fieldapp.geo.failed');
      renderPosition();
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }

  /* ------------------------------------------------------------------ header */
  function renderChrome() {
    document.documentElement.lang = lang;
    document.title = t('fieldapp.title') + ' · gwmap';
    $('#title').textContent = t('fieldapp.title') + (state.day && state.day.county ? ' · ' + state.day.county : '');
    $('#lang').textContent = lang === 'zh' ? 'English' : '中文';
    $('#tab-today').textContent = t('fieldapp.tab.today');
    $('#tab-queue').textContent = t('fieldapp.tab.queue');
    $('#signout').textContent = t('fieldapp.signout');
    for (const b of document.querySelectorAll('#tabs [data-view]')) {
      if (b.dataset.view === state.view || (b.dataset.view === 'today' && state.view === 'stop')) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    renderStatus();
  }

  function counts() {
    const c = { waiting: 0, sent: 0, conflict: 0, refused: 0 };
    for (const i of state.outbox) if (c[i.state] !== undefined) c[i.state] += 1;
    return c;
  }

  function renderStatus() {
    const el = $('#sync');
    if (!state.me) { el.textContent = state.online ? '' : t('fieldapp.status.offline_plain'); el.className = state.online ? '' : 'offline'; return; }
    const c = counts();
    const parts = [state.online ? t('fieldapp.status.online') : t('fieldapp.status.offline')];
    if (c.waiting) parts.push(t('fieldapp.status.waiting', { n: c.waiting }));
    if (c.conflict) parts.push(t('fieldapp.status.conflict', { n: c.conflict }));
    if (c.refused) parts.push(t('fieldapp.status.refused', { n: c.refused }));
    if (!c.waiting && !c.conflict && !c.refused) parts.push(c.sent ? t('fieldapp.status.all_sent', { n: c.sent }) : t('fieldapp.status.nothing'));
    el.textContent = parts.join(' · ');
    el.className = c.conflict || c.refused ? 'attention' : (state.online ? '' : 'offline');
    const tab = $('#tab-queue');
    if (tab) tab.textContent = t('fieldapp.tab.queue') + (c.waiting ? ` (${c.waiting})` : '');
  }

  /* ------------------------------------------------------------------ views */
  async function show(view, ref) {
    state.view = view;
    if (ref !== undefined) state.ref = ref;
    if (view === 'stop') await openForm(state.ref);
    render();
    window.scrollTo(0, 0);
  }

  function render() {
    if (state.map) { state.map.remove(); state.map = null; }
    $('#tabs').hidden = !state.me || state.view === 'signin' || state.view === 'denied';
    renderChrome();
    const main = $('#view');
    main.replaceChildren();
    const views = { signin: viewSignin, denied: viewDenied, today: viewToday, stop: viewStop, queue: viewQueue };
    (views[state.view] || viewToday)(main);
  }

  function viewSignin(main) {
    const msg = h('p', { class: 'bad', role: 'alert', hidden: true });
    const user = h('input', { type: 'text', id: 'f-user', autocomplete: 'username', autocapitalize: 'none', required: true });
    const pass = h('input', { type: 'password', id: 'f-pass', autocomplete: 'current-password', required: true });
    const form = h('form', { class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      msg.hidden = true;
      let got;
      try {
        got = await api('/signin', { method: 'POST', body: JSON.stringify({ username: user.value, password: pass.value }) });
      } catch (err) { msg.textContent = t('fieldapp.signin.offline'); msg.hidden = false; return; }
      if (got.status !== 200) { msg.textContent = got.body.message || ('HTTP ' + got.status); msg.hidden = false; return; }
      state.me = null;
      await start();
    } },
    h('h2', { text: t('fieldapp.signin.title') }),
    h('label', { class: 'field', for: 'f-user', text: t('login.username') }), user,
    h('label', { class: 'field', for: 'f-pass', text: t('login.password') }), pass,
    msg,
    h('button', { type: 'submit', class: 'btn primary', text: t('login.submit') }));
    main.append(form, h('p', { class: 'muted', text: t('fieldapp.signin.hint') }));
  }

  function viewDenied(main) {
    main.append(h('div', { class: 'card' }, h('h2', { text: t('fieldapp.denied') }),
      state.denied ? h('p', { text: state.denied }) : null,
      h('a', { class: 'btn primary', href: '/?desk=1', text: t('fieldapp.to_desk') }),
      h('button', { type: 'button', class: 'btn', onclick: signOut, text: t('fieldapp.signout') })));
  }

  function localState(stop) {
    // what this phone knows beyond the server's answer: an inspection waiting or refused here
    const mine = state.outbox.filter((i) => i.body.ref === stop.ref && !i.reworked);
    if (mine.some((i) => i.state === 'conflict')) return 'conflict';
    if (mine.some((i) => i.state === 'waiting')) return 'waiting';
    if (stop.visited || mine.some((i) => i.state === 'sent')) return 'done';
    return 'todo';
  }

  function what(stop) {
    const kind = t('route.kind_name.' + stop.kind);
    if (stop.kind === 'overdue') return t('fieldapp.what.overdue', { deadline: stop.deadline || '?', days: -(stop.days_left || 0) });
    if (stop.target === 'missing') return t('fieldapp.what.missing');
    return kind;
  }

  function place(stop) {
    return [stop.village, stop.leg_km !== null && stop.leg_km !== undefined ? t('fieldapp.leg_km', { km: stop.leg_km }) : '']
      .filter(Boolean).join(' · ');
  }

  function navApp() { return localStorage.getItem('gwmap-nav') || 'amap'; }

  function navLink(stop, app, primary) {
    return h('a', { class: primary ? 'btn nav' : 'btn', href: stop.nav[app], target: '_blank', rel: 'noopener noreferrer',
      'data-app': app, onclick: () => localStorage.setItem('gwmap-nav', app),
      text: primary ? t('fieldapp.navigate', { app: t('fieldapp.app.' + app) }) : t('fieldapp.app.' + app) });
  }

  function nextStop() {
    const stops = (state.day && state.day.stops) || [];
    return stops.find((s) => s.outcomes.length && localState(s) === 'todo') || null;
  }

  function viewToday(main) {
    const day = state.day;
    if (!day) { main.append(h('p', { class: 'bad', text: t('fieldapp.no_copy') })); return; }
    if (state.dayFrom && state.dayFrom !== 'network') {
      main.append(h('p', { class: 'warn', text: t('fieldapp.offline_copy', { at: when(state.dayFrom) }) }));
    }
    if (!day.team) {
      main.append(h('div', { class: 'card' }, h('h2', { text: t('fieldapp.no_dispatch.title', { day: day.day }) }),
        h('p', { text: t('fieldapp.no_dispatch.body') })));
      return;
    }
    const done = day.stops.filter((s) => localState(s) !== 'todo').length;
    main.append(h('div', { class: 'card' },
      h('h2', { id: 'team', text: t('fieldapp.team', { name: day.team.name, day: day.day }) }),
      h('p', { class: 'muted', text: t('fieldapp.members', { names: day.team.members.join('、') }) }),
      h('p', { class: 'muted', text: t('fieldapp.progress', { done, n: day.stops.length }) })));
    const nxt = nextStop();
    if (nxt) {
      main.append(h('div', { class: 'card next', id: 'next' },
        h('div', { class: 'muted', text: t('fieldapp.next', { seq: nxt.seq }) }),
        h('h2', {}, what(nxt) + ' ', h('span', { class: 'tag', text: nxt.ref })),
        nxt.label ? h('p', { class: 'what', text: nxt.label }) : null,
        h('p', { class: 'muted', text: place(nxt) }),
        navLink(nxt, navApp(), true),
        h('button', { type: 'button', class: 'btn primary', onclick: () => show('stop', nxt.ref), text: t('fieldapp.record') })));
    } else {
      main.append(h('p', { class: 'ok', text: t('fieldapp.all_done') }));
    }
    main.append(h('div', { id: 'map', role: 'img', 'aria-label': t('fieldapp.map_label') }));
    const list = h('ol', { class: 'stops', id: 'stops' });
    for (const s of day.stops) {
      const ls = localState(s);
      list.append(h('li', { 'data-ref': s.ref, onclick: () => show('stop', s.ref) },
        h('span', { class: 'seq ' + ls, text: s.seq }),
        h('div', { class: 'body' },
          h('div', {}, h('strong', { text: what(s) }), h('span', { class: 'tag', text: s.ref }),
            ls !== 'todo' ? h('span', { class: 'tag ' + ls, text: t('fieldapp.state.' + ls) }) : null),
          s.label ? h('div', { class: 'what', text: s.label }) : null,
          h('div', { class: 'muted', text: place(s) }))));
    }
    main.append(h('h2', { text: t('fieldapp.stops', { n: day.stops.length }) }), list,
      h('p', { class: 'muted' }, h('a', { href: '/?desk=1', text: t('fieldapp.to_desk') })));
    drawMap();
  }

  /* ------------------------------------------------------------------ the map (no tiles: outlines, stops, me) */
  let meLayer = null;
  function drawMap() {
    const el = document.getElementById('map');
    if (!el || typeof L === 'undefined') return;
    const map = L.map(el, { attributionControl: false, zoomSnap: 0.5 });
    state.map = map;
    if (state.day.outline) {
      L.geoJSON(state.day.outline, { style: { color: '#7b8a95', weight: 1, fill: true, fillColor: '#ffffff', fillOpacity: 0.6 },
        interactive: false }).addTo(map);
    }
    const nxt = nextStop();
    const pts = [];
    for (const s of state.day.stops) {
      const ls = localState(s);
      const cls = 'gw-stop ' + (nxt && s.ref === nxt.ref ? 'next' : ls);
      const m = L.marker([s.lat, s.lon], { icon: L.divIcon({ className: cls, html: String(Number(s.seq)), iconSize: [26, 26] }),
        keyboard: true, title: s.ref });
      m.on('click', () => show('stop', s.ref));
      m.addTo(map);
      pts.push([s.lat, s.lon]);
    }
    if (pts.length) map.fitBounds(pts, { padding: [24, 24], maxZoom: 15 });
    else map.setView([36.5, 115.5], 10);
    meLayer = L.layerGroup().addTo(map);
    drawMe();
  }

  function drawMe() {
    if (!state.map || !meLayer || !state.fix) return;
    meLayer.clearLayers();
    const at = [state.fix.lat, state.fix.lon];
    L.circle(at, { radius: state.fix.accuracy, color: '#2a7ae2', weight: 1, fillOpacity: 0.12, interactive: false }).addTo(meLayer);
    L.circleMarker(at, { radius: 7, color: '#fff', weight: 2, fillColor: '#2a7ae2', fillOpacity: 1, interactive: false }).addTo(meLayer);
  }

  /* ------------------------------------------------------------------ a stop */
  function stopOf(ref) { return ((state.day && state.day.stops) || []).find((s) => s.ref === ref) || null; }

  async function openForm(ref) {
    const stop = stopOf(ref);
    const id = (state.me || '') + '|' + ref;
    const kept = await idbGet('drafts', id);
    state.form = kept || { id, outcome: null, note: '', deadline: '', photos: [] };
    // the case as this phone last saw it: what the server checks the submission against
    state.form.stage = stop ? stop.stage : '';
    state.form.version = stop ? stop.version : null;
    if (stop && !stop.outcomes.includes(state.form.outcome)) state.form.outcome = null;
  }

  let draftTimer = null;
  function keepDraft() {
    clearTimeout(draftTimer);
    const form = state.form;
    draftTimer = setTimeout(() => { idbPut('drafts', form).catch(() => {}); }, 250);
  }

  function addDays(iso, n) {
    const d = new Date(iso + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function nextStage(stop, outcome) {
    if (stop.target === 'well') return outcome === 'well_pumping' ? 'inspected' : '';
    return (state.day.moves && state.day.moves[state.form.stage] || {})[outcome] || '';
  }

  function viewStop(main) {
    const stop = stopOf(state.ref);
    main.append(h('button', { type: 'button', class: 'btn', onclick: () => show('today'), text: t('fieldapp.back') }));
    if (!stop) { main.append(h('p', { class: 'bad', text: t('fieldapp.stop_gone') })); return; }
    const form = state.form;
    const conflict = state.outbox.find((i) => i.body.ref === stop.ref && i.state === 'conflict' && !i.reworked);
    main.append(h('div', { class: 'card' },
      h('div', { class: 'muted', text: t('fieldapp.stop_n', { seq: stop.seq }) }),
      h('h2', {}, what(stop) + ' ', h('span', { class: 'tag', text: stop.ref })),
      stop.label ? h('p', { class: 'what', text: stop.label }) : null,
      h('p', { class: 'muted', text: place(stop) }),
      stop.target === 'lead' ? h('p', { class: 'muted', text: t('fieldapp.stage_now', { stage: stageName(form.stage) }) }) : null,
      navLink(stop, navApp(), true),
      h('div', { class: 'row2' }, ...['amap', 'baidu', 'tencent'].filter((a) => a !== navApp()).map((a) => navLink(stop, a, false)))));
    if (conflict) main.append(conflictCard(stop, conflict));
    if (!stop.outcomes.length) { main.append(h('p', { class: 'warn', text: t('fieldapp.no_outcomes') })); return; }

    main.append(h('div', { class: 'card', id: 'position' }));
    renderPosition();

    // photos: the camera, several, shrunk here; each keeps where and when it was taken (phones strip EXIF GPS)
    const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true, id: 'f-photo',
      class: 'visually-hidden', onchange: (e) => addPhotos(e.target) });
    main.append(h('div', { class: 'card' },
      h('label', { class: 'btn', for: 'f-photo', id: 'photo-button', text: t('fieldapp.photo.take') }), input,
      h('div', { class: 'photos', id: 'thumbs' }),
      h('p', { class: 'muted', id: 'photo-count' })));
    renderThumbs();

    const box = h('div', { class: 'outcomes', role: 'group', 'aria-label': t('fieldapp.outcome.label') });
    for (const o of stop.outcomes) {
      const to = nextStage(stop, o);
      box.append(h('button', { type: 'button', 'data-outcome': o, 'aria-pressed': form.outcome === o ? 'true' : 'false',
        onclick: () => { form.outcome = o; keepDraft(); renderChoice(stop); } },
      t('fieldapp.outcome.' + o), to ? h('small', { text: '→ ' + stageName(to) }) : null));
    }
    const deadline = h('input', { type: 'date', id: 'f-deadline', value: form.deadline || addDays(state.day.day, 30),
      onchange: (e) => { form.deadline = e.target.value; keepDraft(); } });
    const note = h('textarea', { id: 'f-note', maxlength: '2000', oninput: (e) => { form.note = e.target.value; keepDraft(); } });
    note.value = form.note || '';
    main.append(h('div', { class: 'card' },
      h('h2', { text: t('fieldapp.outcome.label') }), box,
      h('div', { id: 'deadline-box', hidden: true },
        h('label', { class: 'field', for: 'f-deadline', text: t('fieldapp.deadline') }), deadline),
      h('label', { class: 'field', for: 'f-note', text: t('fieldapp.note') }), note,
      h('button', { type: 'button', class: 'btn primary', id: 'submit', onclick: () => submitForm(stop), text: t('fieldapp.submit') })));
    renderChoice(stop);
  }

  function conflictCard(stop, item) {
    const d = (item.receipt && item.receipt.detail) || {};
    return h('div', { class: 'bad', id: 'conflict' },
      h('p', { text: t('fieldapp.conflict.body', { stage: stageName(d.stage), actor: d.actor || '?', at: d.at || '?' }) }),
      h('button', { type: 'button', class: 'btn', text: t('fieldapp.conflict.redo'), onclick: async () => {
        // start again from the case as it now is, with what was recorded (note and photos) brought back
        state.form = { id: state.form.id, outcome: null, note: item.body.note || '', deadline: '',
          photos: item.body.photos.filter((p) => p.data), stage: d.stage || '', version: d.version || null };
        stop.stage = d.stage || stop.stage; stop.version = d.version || stop.version; stop.outcomes = d.outcomes || [];
        item.reworked = true;
        await idbPut('outbox', item);
        await idbPut('drafts', state.form);
        await refreshOutbox();
        render();
      } }));
  }

  function renderChoice(stop) {
    for (const b of document.querySelectorAll('.outcomes button')) b.setAttribute('aria-pressed', b.dataset.outcome === state.form.outcome ? 'true' : 'false');
    const box = document.getElementById('deadline-box');
    if (box) box.hidden = !(state.form.outcome && nextStage(stop, state.form.outcome) === 'rectifying');
    const submit = document.getElementById('submit');
    if (submit) submit.disabled = !state.form.outcome;
  }

  function renderPosition() {
    const el = document.getElementById('position');
    if (!el || !state.day) return;
    const stop = stopOf(state.ref);
    const lim = state.day.limits;
    el.replaceChildren(h('h2', { text: t('fieldapp.position') }));
    if (state.geoError) { el.append(h('p', { class: 'bad', id: 'pos-text', text: t('fieldapp.geo.problem', { why: state.geoError }) })); return; }
    if (!state.fix) { el.append(h('p', { class: 'muted', id: 'pos-text', text: t('fieldapp.geo.waiting') })); return; }
    const d = stop ? Math.round(metres(stop.lon, stop.lat, state.fix.lon, state.fix.lat)) : null;
    el.append(h('p', { id: 'pos-text', text: t('fieldapp.geo.fix', { acc: state.fix.accuracy, d: d === null ? '?' : d.toLocaleString() }) }));
    if (state.fix.accuracy > lim.accuracy_m) el.append(h('p', { class: 'warn', id: 'pos-rough', text: t('fieldapp.geo.rough', { acc: state.fix.accuracy, limit: lim.accuracy_m }) }));
    if (d !== null && d > lim.far_m) el.append(h('p', { class: 'warn', id: 'pos-far', text: t('fieldapp.geo.far', { d: d.toLocaleString(), limit: lim.far_m }) }));
  }

  function renderThumbs() {
    const box = document.getElementById('thumbs');
    if (!box) return;
    const photos = state.form.photos;
    box.replaceChildren(...photos.map((p, i) => h('figure', {},
      h('img', { src: 'data:image/jpeg;base64,' + p.data, alt: t('fieldapp.photo.n', { n: i + 1 }) }),
      h('button', { type: 'button', 'aria-label': t('fieldapp.photo.remove', { n: i + 1 }), text: '×',
        onclick: () => { photos.splice(i, 1); keepDraft(); renderThumbs(); } }))));
    const max = state.day.limits.max_photos;
    document.getElementById('photo-count').textContent = t('fieldapp.photo.count', { n: photos.length, max });
  }

  function shrink(file, px) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const img = new Image();
      img.onload = () => {
        const scale = Math.min(1, px / Math.max(img.naturalWidth, img.naturalHeight));
        const c = document.createElement('canvas');
        c.width = Math.max(1, Math.round(img.naturalWidth * scale));
        c.height = Math.max(1, Math.round(img.naturalHeight * scale));
        c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(url);
        resolve(c.toDataURL('image/jpeg', 0.82).split(',', 2)[1]);
      };
      img.onerror = () => { URL.revokeObjectURL(url); reject(new Error('image')); };
      img.src = url;
    });
  }

  async function addPhotos(input) {
    const files = Array.from(input.files || []);
    input.value = '';
    const max = state.day.limits.max_photos;
    for (const f of files) {
      if (state.form.photos.length >= max) { toast(t('err.field.photos', { limit: max })); break; }
      try {
        const data = await shrink(f, state.day.limits.photo_px);
        const fix = state.fix || {};
        state.form.photos.push({ name: (f.name || 'photo').replace(/\.[^.]*$/, '') + '.jpg', data,
          lon: fix.lon ?? null, lat: fix.lat ?? null, accuracy: fix.accuracy ?? null, at: new Date().toISOString() });
      } catch (e) {
        toast(t('fieldapp.photo.unreadable', { name: f.name || '?' }));
      }
    }
    keepDraft();
    renderThumbs();
  }

  async function submitForm(stop) {
    const form = state.form;
    if (!form.outcome) return;
    const fix = state.fix || {};
    const item = {
      key: newKey(), user: state.me, state: 'waiting', created: new Date().toISOString(), seq: stop.seq,
      body: { key: null, ref: stop.ref, target: stop.target, outcome: form.outcome, stage: form.stage, version: form.version,
        note: form.note || '', lon: fix.lon ?? null, lat: fix.lat ?? null, accuracy: fix.accuracy ?? null,
        at: new Date().toISOString(),
        deadline: nextStage(stop, form.outcome) === 'rectifying' ? (form.deadline || addDays(state.day.day, 30)) : null,
        photos: form.photos },
    };
    item.body.key = item.key;
    await idbPut('outbox', item);
    await idbDel('drafts', form.id);
    clearTimeout(draftTimer);
    state.form = null;
    await refreshOutbox();
    toast(state.online ? t('fieldapp.kept_sending') : t('fieldapp.kept_offline'));
    await show('today');
    sync();
  }

  function viewQueue(main) {
    const c = counts();
    main.append(h('div', { class: 'card' },
      h('h2', { text: t('fieldapp.queue.title') }),
      h('p', { id: 'queue-summary', text: t('fieldapp.queue.summary', { waiting: c.waiting, sent: c.sent, conflict: c.conflict, refused: c.refused }) }),
      h('button', { type: 'button', class: 'btn primary', onclick: () => sync(), text: t('fieldapp.queue.send_now') })));
    if (!state.outbox.length) { main.append(h('p', { class: 'muted', text: t('fieldapp.queue.empty') })); return; }
    const list = h('ol', { class: 'stops', id: 'queue' });
    for (const i of state.outbox) {
      const r = i.receipt || {};
      const line = i.state === 'sent' ? t('fieldapp.queue.sent_line', { at: when(i.done), stage: stageName(r.stage) })
        : i.state === 'waiting' ? t('fieldapp.queue.waiting_line', { at: when(i.created) }) + (i.error ? ' · ' + i.error : '')
          : i.error || '';
      list.append(h('li', { 'data-key': i.key, 'data-state': i.state, onclick: () => show('stop', i.body.ref) },
        h('span', { class: 'seq ' + (i.state === 'sent' ? 'done' : i.state), text: i.seq || '·' }),
        h('div', { class: 'body' },
          h('div', {}, h('strong', { text: t('fieldapp.outcome.' + i.body.outcome) }), h('span', { class: 'tag', text: i.body.ref }),
            h('span', { class: 'tag ' + (i.state === 'sent' ? 'done' : i.state), text: t('fieldapp.state.' + i.state) + (i.reworked ? ' · ' + t('fieldapp.state.reworked') : '') })),
          h('div', { class: 'muted', text: t('fieldapp.queue.photos', { n: i.body.photos.length }) + ' · ' + line }))));
    }
    main.append(list);
  }

  /* ------------------------------------------------------------------ start, sign-out, language */
  async function signOut() {
    try { await fetch('/api/gwmap/signout', { method: 'POST', credentials: 'same-origin' }); } catch (e) { /* offline: the cookie expires */ }
    await idbDel('cache', 'today');
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage('signed-out');
    const left = counts().waiting;
    state.me = null; state.day = null; state.denied = null;
    if (left) toast(t('fieldapp.signout_waiting', { n: left }));
    await show('signin');
  }

  async function start() {
    const got = await loadToday();
    await refreshOutbox();
    if (got === 'signin') return show('signin');
    if (got === 'denied') return show('denied');
    if (got === 'offline') { $('#view').replaceChildren(h('p', { class: 'bad', text: t('fieldapp.no_copy') })); renderChrome(); return; }
    await show(state.view === 'stop' || state.view === 'queue' ? state.view : 'today');
    sync();
  }

  $('#lang').addEventListener('click', () => {
    lang = lang === 'zh' ? 'en' : 'zh';
    document.cookie = 'gwmap_lang=' + lang + '; path=/; max-age=31536000; SameSite=Strict';
    render();
  });
  for (const b of document.querySelectorAll('#tabs [data-view]')) b.addEventListener('click', () => show(b.dataset.view));
  $('#signout').addEventListener('click', signOut);
  window.addEventListener('online', () => { state.online = true; renderStatus(); sync(); });
  window.addEventListener('offline', () => { state.online = false; renderStatus(); });
  setInterval(() => { if (state.outbox.some((i) => i.state === 'waiting')) sync(); }, 15000);
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).catch(() => {});
  renderChrome();
  watchPosition();
  start();
}());
