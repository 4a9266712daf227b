// The moderation page: plain JavaScript over the HTTP API of docs/moderation.md.
//
// The session cookie is HttpOnly, so this script never sees it; the CSRF token the login
// answers is kept in sessionStorage (this tab only, gone when the tab closes) so that a reload
// keeps working, and sent as X-CSRF-Token with every POST and DELETE. Views are chosen by the
// URL's hash: #/queue, #/published, #/item/ID, #/logins.

const $ = (id) => document.getElementById(id);
const CSRF_KEY = 'veil.csrf';
const POLL_MS = 1500, POLL_MAX = 80;  // an item being rendered again is polled for 2 minutes at most

const state = {
  account: null,   // {name, role}
  list: [],        // ids of the list the item view came from, for j/k
  listName: 'queue',
  item: null,      // the ITEM shown
  face: 0,         // the selected face's n; 0: none
  pollTimer: 0,
  cursors: { queue: null, published: null },
};

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = sessionStorage.getItem(CSRF_KEY) || '';
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin', cache: 'no-store',
  });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/session') showLogin('Your session ended. Please log in again.');
    throw new ApiError(res.status, data.error || res.statusText);
  }
  return data;
}

function say(text) { $('alert').textContent = ''; $('status').textContent = text; }
function complain(err) { $('status').textContent = ''; $('alert').textContent = err.message || String(err); }

const canDecide = () => state.account && state.account.role !== 'staff';

function ago(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

const words = (code) => String(code || '').replaceAll('_', ' ');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) node.append(c);
  return node;
}

// ---- views ----------------------------------------------------------------

function showView(name) {
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== `view-${name}`;
  for (const a of document.querySelectorAll('nav a'))
    a.toggleAttribute('aria-current', a.id === `nav-${name}`);
  if (name !== 'item') clearTimeout(state.pollTimer);
}

function showLogin(message) {
  state.account = null;
  sessionStorage.removeItem(CSRF_KEY);
  $('bar').hidden = true;
  showView('login');
  $('login-error').textContent = message || '';
  $('login-name').focus();
}

// The assign picker: the children of the setting (managers and seniors only).
async function loadChildren() {
  if (!canDecide()) return;
  const data = await api('GET', '/api/children');
  const select = $('assign-child');
  select.replaceChildren(el('option', { value: '', text: 'choose a child…' }));
  for (const c of data.children) select.append(el('option', { value: String(c.id), text: c.name }));
}

function loggedIn(account) {
  state.account = account;
  loadChildren().catch(complain);
  $('bar').hidden = false;
  $('who').textContent = `${account.name} (${account.role})`;
  $('nav-logins').hidden = account.role !== 'manager';
  route();
}

async function route() {
  if (!state.account) return;
  const [, view, id] = (location.hash || '#/queue').split('/');
  try {
    if (view === 'item' && id) await openItem(id);
    else if (view === 'published') await loadList('published', false);
    else if (view === 'logins') await loadLogins();
    else await loadList('queue', false);
  } catch (err) { complain(err); }
}

// ---- lists ----------------------------------------------------------------

function card(item, listName) {
  const reasons = item.reasons.map(words).join(', ') || words(item.state);
  const who = item.journal_child ? item.journal_child.name : 'no journal';
  const label = `${who}: ${reasons}, received ${ago(item.received_at)}, ${item.faces.length} face(s)`;
  const link = el('a', { href: `#/item/${item.id}`, class: 'card', 'aria-label': label, 'data-id': item.id });
  if (item.state === 'processing') link.append(el('span', { class: 'thumb placeholder', text: 'Rendering…' }));
  else link.append(el('img', { class: 'thumb', src: `/api/media/${item.id}/review.jpg?v=${item.version}`,
                               alt: '', loading: 'lazy' }));
  link.append(el('span', { class: 'card-text' }, el('strong', { text: who }), el('span', { text: reasons }),
                 el('span', { class: 'age', text: ago(item.received_at) })));
  link.addEventListener('click', () => { state.listName = listName; });
  return el('li', {}, link);
}

async function loadList(name, more) {
  showView(name);
  const grid = $(`${name}-grid`);
  const path = name === 'queue' ? '/api/moderation?state=pending&limit=48' : '/api/media?state=published&limit=48';
  const after = more && state.cursors[name] ? `&after=${encodeURIComponent(state.cursors[name])}` : '';
  const page = await api('GET', path + after);
  if (!more) { grid.replaceChildren(); state.list = []; }
  for (const item of page.items) { grid.append(card(item, name)); state.list.push(item.id); }
  state.listName = name;
  state.cursors[name] = page.next;
  $(`${name}-more`).hidden = !page.next;
  $(`${name}-empty`).hidden = page.total > 0;
  if (name === 'queue') renderCounts(page);
  say(`${page.total} item(s) ${name === 'queue' ? 'waiting' : 'published'}`);
}

function renderCounts(page) {
  const box = $('queue-counts');
  box.replaceChildren();
  const group = (title, counts, label) => {
    const list = el('ul', { 'aria-label': title });
    for (const [k, n] of Object.entries(counts || {})) list.append(el('li', { text: `${label(k)}: ${n}` }));
    box.append(el('div', {}, el('h3', { text: title }), list));
  };
  group('By reason', page.counts.by_reason, words);
  const ages = { under_1h: 'under an hour', under_1d: 'under a day', under_1w: 'under a week', older: 'older' };
  group('By age', page.counts.by_age, (k) => ages[k] || words(k));
}

const LOGIN_ACTIONS = {
  'login.succeeded': 'logged in', 'login.failed': 'login refused',
  'account.locked': 'account locked', 'session.logged_out': 'logged out',
};

async function loadLogins() {
  showView('logins');
  const data = await api('GET', '/api/logins?limit=200');
  const body = $('logins-body');
  body.replaceChildren();
  for (const e of data.logins) {
    const what = (LOGIN_ACTIONS[e.action] || words(e.action)) + (e.reason ? ` (${words(e.reason)})` : '');
    body.append(el('tr', {}, el('td', { text: new Date(e.at).toLocaleString() }), el('td', { text: e.name }),
                   el('td', { text: what }), el('td', { text: e.client })));
  }
  say(`${data.logins.length} login event(s)`);
}

// ---- one item -------------------------------------------------------------

function faceLabel(f) {
  const state = f.decision === 'keep' ? 'shown' : 'blurred';
  const who = f.child ? `, ${f.child.name}` : '';
  return `Face ${f.n}: ${state}, ${words(f.reason)}${who}`;
}

async function openItem(id) {
  showView('item');
  clearTimeout(state.pollTimer);
  const sameItem = state.item && state.item.id === id;
  const item = await api('GET', `/api/media/${id}`);
  if (!sameItem) { state.face = 0; $('note').value = ''; $('face-crop').hidden = true; }
  renderItem(item);
  if (!sameItem) $('item-title').focus();
}

function renderItem(item) {
  state.item = item;
  const published = item.state === 'published';
  $('item-back').href = `#/${state.listName}`;
  const who = item.journal_child ? `${item.journal_child.name}'s journal` : 'no journal';
  $('item-title').textContent = `${who}: ${item.kind}, ${item.state}`;
  $('item-title').tabIndex = -1;
  const up = item.uploader ? `from ${item.uploader.name} (${item.uploader.role})` : '';
  const mod = item.moderation && item.moderation.decided_by
    ? ` Decided ${item.moderation.state} by ${item.moderation.decided_by}.` : '';
  const why = item.reasons.map(words).join(', ') || 'none';
  $('item-summary').textContent = `${item.state === 'held' ? 'Held for' : 'Reasons'}: ${why}. ` +
    `Received ${ago(item.received_at)} ${up}.${mod}`;
  const i = state.list.indexOf(item.id);
  $('item-prev').disabled = i <= 0;
  $('item-next').disabled = i < 0 || i >= state.list.length - 1;

  const img = $('review'), placeholder = $('review-placeholder');
  if (item.state === 'processing') {
    img.hidden = true;
    placeholder.hidden = false;
    placeholder.textContent = 'Painting the photo again with the new decisions…';
    schedulePoll(item.id, 0);
  } else if (item.version > 0 && item.state !== 'rejected') {
    const src = `/api/media/${item.id}/review.jpg?v=${item.version}`;
    if (img.getAttribute('src') !== src) img.src = src;
    img.hidden = false;
    placeholder.hidden = true;
    img.alt = `The photo with ${item.faces.length} numbered face box(es)`;
  } else {
    img.hidden = true;
    placeholder.hidden = false;
    placeholder.textContent = item.state === 'rejected' ? 'Rejected: its files are deleted.' : 'No image to show.';
  }
  renderFaces(item);
  const decide = canDecide();
  $('approve').hidden = !decide || published || item.state === 'rejected';
  $('reject').hidden = !decide || item.state === 'rejected';
  $('reject').textContent = published ? 'Withdraw' : 'Reject';
  $('approve').disabled = $('reject').disabled = item.state === 'processing';
}

function renderFaces(item) {
  const overlays = $('overlays'), list = $('face-list');
  overlays.replaceChildren();
  list.replaceChildren();
  for (const f of item.faces) {
    const [x, y, w, h] = f.box;
    const label = faceLabel(f);
    const button = el('button', { type: 'button', class: `face ${f.decision}`, 'aria-label': label,
                                  'aria-pressed': String(state.face === f.n), title: label },
                      el('span', { text: String(f.n) }));
    if (item.width > 0 && item.height > 0) {
      button.style.left = `${(100 * x) / item.width}%`;
      button.style.top = `${(100 * y) / item.height}%`;
      button.style.width = `${(100 * w) / item.width}%`;
      button.style.height = `${(100 * h) / item.height}%`;
    }
    button.addEventListener('click', () => selectFace(f.n));
    overlays.append(button);
    const entry = el('button', { type: 'button', class: 'face-entry', 'aria-pressed': String(state.face === f.n) },
                     label + (f.decided_by ? ` (decided by ${f.decided_by})` : ''));
    entry.addEventListener('click', () => selectFace(f.n));
    list.append(el('li', {}, entry));
  }
  $('overlays').hidden = $('review').hidden;
  renderFaceActions();
}

function renderFaceActions() {
  const item = state.item;
  const f = item && item.faces.find((x) => x.n === state.face);
  $('face-actions').hidden = !f;
  if (!f) return;
  const decide = canDecide(), busy = item.state === 'processing' || item.state === 'rejected';
  $('face-selected').textContent = `Selected: ${faceLabel(f)}`;
  $('face-blur').hidden = !decide || f.decision === 'blur';
  $('face-unblur').hidden = !decide || f.decision === 'keep';
  $('face-unblur').disabled = !f.may_unblur || busy;
  $('face-unblur').title = f.may_unblur ? '' : 'This child may not be shown here (no consent)';
  $('face-blur').disabled = busy;
  $('face-view').hidden = !decide || item.kind !== 'photo';
  $('assign-form').hidden = !decide || busy;
}

function selectFace(n) {
  if (!state.item || !state.item.faces.some((f) => f.n === n)) return;
  state.face = n;
  $('face-crop').hidden = true;
  renderFaces(state.item);
  say(`Selected ${faceLabel(state.item.faces.find((f) => f.n === n))}`);
}

function schedulePoll(id, attempt) {
  clearTimeout(state.pollTimer);
  if (attempt >= POLL_MAX) { say('Still being painted again; reload the page later.'); return; }
  state.pollTimer = setTimeout(async () => {
    try {
      const item = await api('GET', `/api/media/${id}`);
      if (!state.item || state.item.id !== id) return;
      if (item.state === 'processing') schedulePoll(id, attempt + 1);
      else { renderItem(item); say(`Done: the photo is painted again; the item is ${item.state}`); }
    } catch (err) { complain(err); }
  }, POLL_MS);
}

async function act(path, body, done) {
  if (!state.item) return;
  try {
    const item = await api('POST', `/api/media/${state.item.id}/${path}`, body);
    renderItem(item);
    say(done(item));
  } catch (err) { complain(err); }
}

const faceAct = (verb) => {
  if (!state.face) { say('Select a face first (1…9)'); return; }
  const n = state.face;
  act(`faces/${n}/${verb}`, undefined, () => `Face ${n} will be ${verb === 'blur' ? 'blurred' : 'shown'}; ` +
      'painting the photo again…');
};

function approve() {
  if (!state.item || $('approve').hidden || $('approve').disabled) return;
  act('approve', { note: $('note').value }, () => { $('note').value = ''; return 'Approved: the item is published'; });
}

function reject() {
  if (!state.item || $('reject').hidden || $('reject').disabled) return;
  const verb = state.item.state === 'published' ? 'Withdraw' : 'Reject';
  if (!window.confirm(`${verb} this item? Its published files are deleted.`)) return;
  act('reject', { note: $('note').value }, () => {
    $('note').value = '';
    return `${verb === 'Withdraw' ? 'Withdrawn' : 'Rejected'}: files deleted`;
  });
}

function step(delta) {
  if (!state.item) return;
  const i = state.list.indexOf(state.item.id) + delta;
  if (i >= 0 && i < state.list.length) location.hash = `#/item/${state.list[i]}`;
}

// Drawing a box on the photo (mouse, pen or finger) fills the "add a face" form; the form
// itself is the keyboard's way.
function enableDrawing() {
  const overlays = $('overlays');
  let start = null, ghost = null;
  const toPhoto = (e) => {
    const r = overlays.getBoundingClientRect();
    const fx = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    const fy = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
    return { fx, fy };
  };
  overlays.addEventListener('pointerdown', (e) => {
    if (e.target !== overlays || !state.item || !canDecide() || !state.item.width) return;
    start = toPhoto(e);
    ghost = el('div', { class: 'ghost', 'aria-hidden': 'true' });
    overlays.append(ghost);
    overlays.setPointerCapture(e.pointerId);
  });
  overlays.addEventListener('pointermove', (e) => {
    if (!start) return;
    const p = toPhoto(e);
    ghost.style.left = `${100 * Math.min(start.fx, p.fx)}%`;
    ghost.style.top = `${100 * Math.min(start.fy, p.fy)}%`;
    ghost.style.width = `${100 * Math.abs(p.fx - start.fx)}%`;
    ghost.style.height = `${100 * Math.abs(p.fy - start.fy)}%`;
  });
  overlays.addEventListener('pointerup', (e) => {
    if (!start) return;
    const p = toPhoto(e), { width, height } = state.item;
    const box = [Math.min(start.fx, p.fx) * width, Math.min(start.fy, p.fy) * height,
      Math.abs(p.fx - start.fx) * width, Math.abs(p.fy - start.fy) * height].map(Math.round);
    start = null;
    if (box[2] < 8 || box[3] < 8) { ghost.remove(); return; }
    ['box-x', 'box-y', 'box-w', 'box-h'].forEach((k, i) => { $(k).value = box[i]; });
    document.querySelector('.add-face').open = true;
    say('Box drawn: check it and choose "Add face", or draw again');
    $('box-x').focus();
  });
}

// ---- wiring ---------------------------------------------------------------

function typing(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement || (target && target.isContentEditable);
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || !state.account) return;
  if ($('help').open) return;
  const inItem = !$('view-item').hidden;
  const keys = {
    '?': () => $('help').showModal(),
    j: () => (inItem ? step(1) : moveFocus(1)),
    k: () => (inItem ? step(-1) : moveFocus(-1)),
    a: () => inItem && approve(),
    r: () => inItem && reject(),
    b: () => inItem && canDecide() && faceAct('blur'),
    u: () => inItem && canDecide() && faceAct('unblur'),
    g: () => { location.hash = `#/${state.listName}`; },
  };
  let handler = keys[e.key];
  if (!handler && inItem && /^[1-9]$/.test(e.key)) handler = () => selectFace(Number(e.key));
  if (handler) { e.preventDefault(); handler(); }
}

// j/k on a grid: the next or previous card.
function moveFocus(delta) {
  const view = document.querySelector('.view:not([hidden])');
  const cards = [...view.querySelectorAll('.card')];
  if (!cards.length) return;
  const i = cards.indexOf(document.activeElement);
  cards[Math.min(cards.length - 1, Math.max(0, i < 0 ? 0 : i + delta))].focus();
}

async function start() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('login-submit').disabled = true;
    try {
      const r = await api('POST', '/api/session', { name: $('login-name').value, password: $('login-password').value });
      sessionStorage.setItem(CSRF_KEY, r.csrf);
      $('login-password').value = '';
      $('login-error').textContent = '';
      loggedIn(r.account);
      say(`Logged in as ${r.account.name}`);
    } catch (err) {
      $('login-error').textContent = err.message;
    } finally { $('login-submit').disabled = false; }
  });
  $('logout').addEventListener('click', async () => {
    try { await api('DELETE', '/api/session'); } catch (err) { /* ended already */ }
    showLogin('Logged out.');
  });
  $('help-button').addEventListener('click', () => $('help').showModal());
  $('queue-more').addEventListener('click', () => loadList('queue', true).catch(complain));
  $('published-more').addEventListener('click', () => loadList('published', true).catch(complain));
  $('item-prev').addEventListener('click', () => step(-1));
  $('item-next').addEventListener('click', () => step(1));
  $('approve').addEventListener('click', approve);
  $('reject').addEventListener('click', reject);
  $('face-blur').addEventListener('click', () => faceAct('blur'));
  $('face-unblur').addEventListener('click', () => faceAct('unblur'));
  $('face-view').addEventListener('click', () => {
    const crop = $('face-crop');
    crop.src = `/api/media/${state.item.id}/faces/${state.face}.jpg?t=${Date.now()}`;
    crop.alt = `Face ${state.face} unblurred (this view is recorded)`;
    crop.hidden = false;
    say(`Showing face ${state.face} unblurred; the view is recorded in the audit log`);
  });
  $('assign-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const child = Number($('assign-child').value);
    if (!child) { say('Choose the child this face is'); return; }
    act(`faces/${state.face}/assign`, { child }, () => `Face ${state.face} assigned; painting the photo again…`);
  });
  $('add-face-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const box = ['box-x', 'box-y', 'box-w', 'box-h'].map((k) => Number($(k).value));
    act('faces', { box }, (item) => `Face ${item.faces.length} added and blurred; painting the photo again…`);
  });
  enableDrawing();
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', onKey);

  // A reload: the cookie may still hold a session, and this tab may still hold its token.
  try {
    const s = await api('GET', '/api/session');
    if (sessionStorage.getItem(CSRF_KEY)) loggedIn(s.account);
    else showLogin('Please log in again in this tab.');
  } catch (err) {
    showLogin('');
  }
}

start();
