// Live pages: one websocket per page (protocol: realtime/events.py). The script holds transport,
// patching and input handling only: everything a person reads arrives drawn by the server.
// - thing frames: a card's body and status line as HTML, its controls' values as state;
// - fragment frames: a home, room or card drawn afresh, put in place by data-fragment and
//   data-order (added, replaced or removed) when the layout changed.
// Elements are found by data attributes only (data-thing, data-card-body, data-card-status,
// data-state-key, data-control, data-fragment), never by class or position.
(() => {
  "use strict";

  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const ACK_EVERY = 50; // frames; the server drops a page that falls far behind
  const ACK_INTERVAL_MS = 1000;
  const NOTE_MS = 4000; // how long a per-card result line stays
  const CONTROL_TIMEOUT_MS = 15000; // give up waiting for a control_result
  const OFFLINE_AFTER = 5; // failed attempts before the page says "Offline"
  const STATUS_TEXT = {
    live: "Live", reconnecting: "Reconnecting…", offline: "Offline",
    unavailable: "Live updates unavailable", // connected, but no realtime worker is running
  };
  const RESULT_TEXT = {
    offline: "Device is offline",
    timeout: "The device did not answer",
    not_allowed: "Not allowed",
    invalid: "Invalid value",
    error: "Something went wrong",
  };

  const statusEl = document.querySelector("[data-live-status]");
  // What the page draws live: the dashboard's sections, or a thing page's panels.
  const sectionsEl = document.querySelector('[data-fragment="sections"], [data-fragment="thing-main"]');
  const sectionsKey = sectionsEl?.dataset.fragment || "sections";
  const accounts = new Map(); // account id → {connection, status, syncing}
  const lastViews = new Map(); // thing id → its newest frame: applied to cards drawn later
  const pending = new Map(); // request id → {card, timer}
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pageDown = false; // an open socket was lost: every card is stale until the next snapshot
  let liveUpdates = true; // a realtime worker is running (the server says when not)
  // What the page shows: drawn at `since` (server time), from structure version `structure`.
  let since = sectionsEl?.dataset.since || "";
  // A thing page's: the stored update its panels show; the socket redraws them when newer.
  const pageThing = sectionsEl?.dataset.thingPage || "";
  let drawnUpdate = sectionsEl?.dataset.drawnUpdate || "";
  let structure = Number(sectionsEl?.dataset.structure || 0);
  const protocol = Number(sectionsEl?.dataset.protocol || 0);
  const view = sectionsEl?.dataset.view || "";
  let lastSeq = 0;
  let ackedSeq = 0;
  let snapshotParts = []; // a large household's snapshot arrives in parts before its last frame
  let requestCount = 0;

  // ---- patching cards ---------------------------------------------------------------------

  const cardsOf = (id) => document.querySelectorAll(`[data-thing="${CSS.escape(String(id))}"]`);
  const isEditable = (el) => el.tagName === "INPUT" || el.tagName === "SELECT";

  // Controls and the header are patched in place (a slider held by the user keeps its value);
  // the body is replaced by the server's rendering when it changed.
  function setValue(el, value) {
    if (el.dataset.optimistic) {
      el._server = value; // the page shows what was just asked for until the answer comes
      return;
    }
    if (el.dataset.kind === "toggle") {
      el.setAttribute("aria-pressed", value === null ? "mixed" : String(Boolean(value)));
    } else if (isEditable(el)) {
      const text = (value ?? "").toString();
      // Never yank a value from under the user's finger: apply it when they let go.
      if (el === document.activeElement || el.dataset.dragging) el.dataset.deferred = text;
      else el.value = text;
    } else {
      el.textContent = value === null || value === undefined ? "–" : String(value);
    }
  }

  // Server-drawn parts of a card, replaced only when they changed.
  function setHtml(card, selector, html) {
    const el = card.querySelector(`:scope ${selector}`);
    if (!el || typeof html !== "string" || el._html === html) return;
    el.innerHTML = html; // autoescaped server rendering
    el._html = html;
  }

  function patchCard(card, view) {
    const state = view.state || {};
    setHtml(card, "[data-card-body]", view.body);
    setHtml(card, "[data-card-status]", view.status);
    for (const el of card.querySelectorAll("[data-state-key]")) {
      const key = el.dataset.stateKey;
      if (el.closest("[data-card-body]") || !(key in state)) continue;
      setValue(el, state[key]);
    }
    card.classList.toggle("card--offline", !view.online);
    if (typeof view.summary === "string") card.dataset.summary = view.summary;
  }

  // ---- fragments: the layout changed ------------------------------------------------------

  const byFragment = (key) => document.querySelector(`[data-fragment="${CSS.escape(key)}"]`);
  const held = new Map(); // fragment key → frame, held while the person uses a control in it

  function inUse(el) {
    const active = document.activeElement;
    return Boolean(
      el.querySelector("[data-dragging], [data-moving]") ||
      (active && el.contains(active) && isEditable(active)) ||
      unsaved(el));
  }

  // A form someone has typed into or ticked and not sent yet: redrawing it would lose that.
  function unsaved(el) {
    return [...el.querySelectorAll("form input, form textarea, form select")].some((field) => {
      if (field.type === "checkbox" || field.type === "radio") return field.checked !== field.defaultChecked;
      if (field.tagName === "SELECT") {
        const options = [...field.options];
        if (field.multiple) return options.some((o) => o.selected !== o.defaultSelected);
        return field.selectedIndex !== Math.max(0, options.findIndex((o) => o.defaultSelected));
      }
      return field.type !== "hidden" && field.value !== field.defaultValue;
    });
  }

  function onFragment(frame) {
    if (typeof frame.key !== "string") return;
    const old = byFragment(frame.key);
    if (old && inUse(old)) {
      held.set(frame.key, frame); // put in place once they let go (focusout, pointerup)
      return;
    }
    held.delete(frame.key);
    placeFragment(frame, old);
    if (Number.isInteger(frame.structure)) structure = Math.max(structure, frame.structure);
  }

  function placeFragment(frame, old) {
    if (frame.html === null) {
      old?.remove();
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = frame.html; // autoescaped server rendering
    const node = template.content.firstElementChild;
    if (!node) return;
    if (old) {
      // A focused button keeps focus across the redraw (same id in the new drawing).
      const focused = old.contains(document.activeElement) ? document.activeElement.id : "";
      old.replaceWith(node);
      if (focused) document.getElementById(focused)?.focus({ preventScroll: true });
    } else {
      const parent = byFragment(frame.parent);
      if (!parent) return; // not on this page (another room filter); the next redraw has it
      const siblings = [...parent.children].filter((el) => el.dataset.order !== undefined);
      const next = siblings.find((el) => el.dataset.order > frame.order);
      if (next) next.before(node);
      else if (siblings.length) siblings[siblings.length - 1].after(node);
      else parent.append(node);
    }
    window.htmx?.process(node); // lazy rooms inside it load as they scroll into view
    adopt(node);
    document.dispatchEvent(new CustomEvent("live:fragment", { detail: node })); // charts.js
  }

  // Cards that arrive after the page (a fragment, a lazy room) catch up with what the socket
  // brought since their drawing was read, and show whether their account is live.
  function adopt(root) {
    const cards = root.matches?.("[data-thing]") ? [root] : root.querySelectorAll("[data-thing]");
    for (const card of cards) {
      const view = lastViews.get(card.dataset.thing);
      const drawn = card.querySelector("[data-card-status] time")?.getAttribute("datetime");
      // Only a newer state: the drawing may come from a sync the socket never announced.
      if (view && !(Date.parse(view.last_update) < Date.parse(drawn))) patchCard(card, view);
      markStale(card);
    }
  }

  function releaseHeld() {
    for (const [key, frame] of [...held]) {
      const old = byFragment(key);
      if (!old || !inUse(old)) onFragment(frame);
    }
  }

  // A page that missed a structure change (it was disconnected) draws its sections again.
  function redrawSections() {
    if (!sectionsEl || !window.htmx) return location.reload();
    const selector = `[data-fragment="${sectionsKey}"]`;
    window.htmx.ajax("GET", location.href, {
      target: selector, select: selector, swap: "outerHTML",
    }).then(() => {
      const fresh = document.querySelector(selector);
      structure = Number(fresh?.dataset.structure || structure);
      markAllStale();
    });
  }

  // ---- staleness --------------------------------------------------------------------------

  function staleReason(card) {
    if (pageDown) return "Stale · not connected";
    if (!liveUpdates) return "Stale · live updates unavailable";
    const account = accounts.get(card.dataset.account);
    if (!account) return "";
    if (account.status && account.status !== "active") return "Stale · account needs attention";
    if (account.connection !== "online") return "Stale · cloud reconnecting";
    return "";
  }

  function markStale(card) {
    const reason = staleReason(card);
    card.classList.toggle("card--stale", Boolean(reason));
    let hint = card.querySelector(":scope > .card__stale-hint");
    if (reason && !hint) {
      hint = document.createElement("p");
      hint.className = "card__stale-hint";
      const header = card.querySelector(":scope > header");
      if (header) header.after(hint);
      else card.prepend(hint);
    }
    if (hint) {
      hint.textContent = reason;
      hint.hidden = !reason;
    }
  }

  const markAllStale = () => document.querySelectorAll("[data-thing]").forEach(markStale);

  // ---- per-card status line and pending state ---------------------------------------------

  // The line exists (empty) before its first message, so screen readers announce that message.
  function noteLine(card) {
    let line = card.querySelector(":scope > .card__note");
    if (!line) {
      line = document.createElement("p");
      line.className = "card__note";
      line.setAttribute("role", "status");
      card.append(line);
    }
    return line;
  }

  function note(card, text, status) {
    const line = noteLine(card);
    clearTimeout(line._clear);
    line.textContent = text;
    line.dataset.status = status;
    line._clear = setTimeout(() => { line.textContent = ""; delete line.dataset.status; }, NOTE_MS);
  }

  function setBusy(card) {
    const busy = [...pending.values()].some((p) => p.card === card);
    card.classList.toggle("card--pending", busy);
    if (busy) card.setAttribute("aria-busy", "true");
    else card.removeAttribute("aria-busy");
  }

  function finish(request, text, status) {
    const entry = pending.get(request);
    if (!entry) return;
    clearTimeout(entry.timer);
    pending.delete(request);
    settle(entry, request, status === "ok");
    setBusy(entry.card);
    note(entry.card, text, status);
  }

  // ---- optimistic controls: shown at once, confirmed or rolled back by the server ---------

  // What a control shows now, in the form setValue takes.
  function shownValue(el) {
    if (el.dataset.kind === "toggle") {
      const pressed = el.getAttribute("aria-pressed");
      return pressed === "mixed" ? null : pressed === "true";
    }
    return isEditable(el) ? el.value : el.textContent;
  }

  // The value the server last gave a control (an input already shows the person's new one).
  function serverValue(card, el) {
    const key = el.dataset.stateKey;
    const state = lastViews.get(card.dataset.thing)?.state;
    if (state && key in state) return state[key];
    if (el.tagName === "SELECT") return [...el.options].find((o) => o.defaultSelected)?.value ?? "";
    return el.getAttribute("value") ?? "";
  }

  // The controls that show one state key of a card (a slider and its readout).
  function shownBy(card, el) {
    const key = CSS.escape(el.dataset.stateKey || "");
    return [...card.querySelectorAll(`[data-state-key="${key}"]`)]
      .filter((node) => !node.closest("[data-card-body]"));
  }

  // The controls show the value asked for at once; frames for the card meanwhile are kept
  // aside (el._server) rather than undoing it before the answer comes.
  function showOptimistic(card, el, value, request) {
    if (!el.dataset.stateKey) return [];
    const els = shownBy(card, el);
    for (const node of els) {
      const previous = "_server" in node ? node._server
        : node.dataset.optimistic ? node._previous
        : isEditable(node) ? serverValue(card, node) : shownValue(node);
      delete node.dataset.optimistic;
      delete node._server;
      if (node !== el) setValue(node, value); // the input itself shows it already
      else if (node.dataset.kind === "toggle") setValue(node, value);
      node.dataset.optimistic = request;
      node._previous = previous;
    }
    card.classList.remove("card--rolled-back");
    return els;
  }

  // The server answered the latest control of these elements: keep the value (ok: the
  // device took it, its report follows) or put back what the server says the device shows.
  function settle(entry, request, ok) {
    let rolledBack = false;
    for (const el of entry.els || []) {
      if (el.dataset.optimistic !== request) continue; // a later click owns it now
      const back = "_server" in el ? el._server : el._previous;
      delete el.dataset.optimistic;
      delete el._server;
      delete el._previous;
      if (ok) continue;
      delete el.dataset.deferred; // shown now, even under the person's finger
      if (isEditable(el)) el.value = (back ?? "").toString();
      else setValue(el, back);
      rolledBack = true;
    }
    if (!rolledBack) return;
    const card = entry.card;
    card.classList.add("card--rolled-back");
    clearTimeout(card._rolledBack);
    card._rolledBack = setTimeout(() => card.classList.remove("card--rolled-back"), NOTE_MS);
  }

  function onControlResult(frame) {
    if (frame.status === "pending") return;
    // The server's sentence says it all ("The device is offline."); ours only if it sent none.
    const failure = frame.message || RESULT_TEXT[frame.status] || "Failed";
    const text = frame.status === "ok" ? "Done" : failure;
    finish(frame.request, text, frame.status);
  }

  function sendControl(card, control, value, el) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      // Commands to physical devices are not queued: a late "on" is worse than none.
      note(card, "Not connected, try again in a moment", "error");
      return;
    }
    // crypto.randomUUID needs a secure context; a LAN install may well be plain http.
    const nonce = Math.random().toString(36).slice(2, 8);
    const request = `r${Date.now().toString(36)}-${++requestCount}-${nonce}`;
    const timer = setTimeout(
      () => finish(request, "No answer from the server", "timeout"), CONTROL_TIMEOUT_MS);
    noteLine(card);
    pending.set(request, { card, timer, els: el ? showOptimistic(card, el, value, request) : [] });
    setBusy(card);
    const thing = Number(card.dataset.thing);
    socket.send(JSON.stringify({ type: "control", request, thing, control, value }));
  }

  function controlValue(el) {
    switch (el.dataset.kind) {
      case "toggle": return el.getAttribute("aria-pressed") !== "true";
      case "range":
      case "number": return el.value === "" ? null : Number(el.value);
      case "select":
      case "color": return el.value;
      default: return true;
    }
  }

  function onControl(event) {
    const el = event.target.closest("[data-control]");
    const card = el?.closest("[data-thing]");
    if (!card) return;
    const isInput = isEditable(el);
    if ((event.type === "click") === isInput) return; // buttons on click, inputs on change
    delete el.dataset.deferred; // the user's own value wins over one held back for them
    const value = controlValue(el);
    if (value === null || Number.isNaN(value)) return;
    sendControl(card, el.dataset.control, value, el);
  }

  // ---- frames -----------------------------------------------------------------------------

  function onSnapshot(frame) {
    if (protocol && frame.protocol !== protocol) return location.reload(); // a new deploy
    if (Number.isInteger(frame.parts) && frame.parts > 0) {
      // The things came in parts first: applied together, as one snapshot.
      frame.things = Object.assign({}, ...snapshotParts, frame.things || {});
    }
    snapshotParts = [];
    // Messages that arrived while the socket was down were announced to no one.
    if (pageDown && (view === "messages" || view === "health")) redrawSections();
    attempt = 0;
    pageDown = false;
    if (typeof frame.server_time === "string") since = frame.server_time;
    const mine = frame.things?.[pageThing];
    if (typeof mine?.last_update === "string") drawnUpdate = mine.last_update; // redrawn by it
    liveUpdates = frame.live_updates !== false;
    accounts.clear();
    for (const [id, account] of Object.entries(frame.accounts || {})) accounts.set(id, account);
    for (const [id, view] of Object.entries(frame.things || {})) {
      lastViews.set(id, view);
      cardsOf(id).forEach((card) => patchCard(card, view));
    }
    if (Number.isInteger(frame.structure) && frame.structure > structure) redrawSections();
    showSyncing();
    markAllStale();
    setStatus(liveUpdates ? "live" : "unavailable");
  }

  // Elements drawn for each account's sync in progress ("Syncing Home…") show while it runs.
  function showSyncing() {
    for (const el of document.querySelectorAll("[data-account-syncing]")) {
      el.hidden = !accounts.get(el.dataset.accountSyncing)?.syncing;
    }
  }

  const handlers = {
    snapshot: onSnapshot,
    snapshot_part: (frame) => { if (frame.things) snapshotParts.push(frame.things); },
    // Thing frames that were ready together, in order (a page behind gets only the newest
    // state of each thing: `merged` says how many older ones it skipped).
    batch: (frame) => {
      for (const inner of Array.isArray(frame.frames) ? frame.frames : []) {
        if (inner && inner.type !== "batch") handlers[inner.type]?.(inner);
      }
    },
    thing: (frame) => {
      lastViews.set(String(frame.id), frame);
      cardsOf(frame.id).forEach((card) => patchCard(card, frame));
      document.dispatchEvent(new CustomEvent("live:thing", { detail: frame })); // charts.js
    },
    account: (frame) => {
      const known = accounts.get(String(frame.id)) || {};
      const syncing = frame.syncing ?? known.syncing ?? false;
      accounts.set(String(frame.id), { connection: frame.connection, status: frame.status, syncing });
      showSyncing();
      markAllStale();
      // The accounts page draws what a sync changes (counts, last sync, job line): fetch it anew.
      if (view === "accounts" && known.syncing && !syncing) redrawSections();
      // The health board judges what an account event changes (socket, sign-in, sync).
      if (view === "health") redrawSections();
    },
    // A realtime worker stopped or started running: say so, and whether the cards are current.
    live_updates: (frame) => {
      liveUpdates = frame.available !== false;
      markAllStale();
      if (!pageDown) setStatus(liveUpdates ? "live" : "unavailable");
    },
    fragment: onFragment,
    control_result: onControlResult,
    notification: onNotification,
    batch_result: onBatchResult,
    // The message sync stored new messages: the messages page draws its list afresh.
    messages: () => { if (view === "messages") redrawSections(); },
  };

  // The answers of an All on / All off this person started (the server sends them only to
  // their own pages): a summary and a line per thing that failed.
  function onBatchResult(frame) {
    const box = document.querySelector("[data-batch-result]");
    if (!box || typeof frame.summary !== "string") return;
    const summary = document.createElement("p");
    summary.textContent = frame.summary;
    const list = document.createElement("ul");
    for (const line of Array.isArray(frame.lines) ? frame.lines : []) {
      const item = document.createElement("li");
      item.textContent = String(line);
      list.append(item);
    }
    box.replaceChildren(summary, ...(list.children.length ? [list] : []));
    box.classList.toggle("batch-result--failed", !frame.ok);
    box.hidden = false;
  }

  function showBatch(words, failed) {
    const box = document.querySelector("[data-batch-result]");
    if (!box) return;
    const line = document.createElement("p");
    line.textContent = words;
    box.replaceChildren(line);
    box.classList.toggle("batch-result--failed", failed);
    box.hidden = false;
  }

  // All on / All off is posted from here, the page staying put: its socket is open when the
  // answers arrive (a reload could miss them). Without this script the form posts as usual.
  document.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button?.hasAttribute("data-batch")) return;
    event.preventDefault();
    const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    const headers = { "X-CSRFToken": token, Accept: "application/json" };
    try {
      const url = button.getAttribute("formaction") || event.target.action; // not .formAction:
      const r = await fetch(url, { // without the attribute it is the page's own address
        method: "POST", body: new FormData(event.target, button), headers,
      });
      const answer = await r.json().catch(() => ({}));
      if (r.ok) showBatch(answer.message || "Switching…", false);
      else showBatch(answer.error || (r.status === 403 ? "Guests cannot switch things." : "That did not work; try again."), true);
    } catch {
      showBatch("The dashboard could not be reached; nothing was switched.", true);
    }
  });

  // The unread badge in the top bar (base.html) follows new notifications.
  function onNotification(frame) {
    const link = document.querySelector("[data-notifications-link]");
    if (!link || !Number.isInteger(frame.unread)) return;
    let badge = link.querySelector("[data-unread-count]");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge badge--warn";
      badge.dataset.unreadCount = "";
      link.append(" ", badge);
    }
    badge.textContent = String(frame.unread);
    badge.hidden = frame.unread === 0;
  }

  function onMessage(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return; // malformed frames are ignored, the next snapshot heals anything missed
    }
    if (!frame || typeof frame !== "object") return;
    if (Number.isInteger(frame.seq)) lastSeq = Math.max(lastSeq, frame.seq);
    handlers[frame.type]?.(frame); // unknown types are ignored (newer server)
    // Page modules (logbook.js) follow the frames they care about.
    document.dispatchEvent(new CustomEvent("live:frame", { detail: frame }));
    if (lastSeq - ackedSeq >= ACK_EVERY) sendAck();
  }

  function sendAck() {
    if (lastSeq > ackedSeq && socket?.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "ack", seq: lastSeq }));
      ackedSeq = lastSeq;
    }
  }

  // ---- connection -------------------------------------------------------------------------

  function setStatus(state) {
    if (!statusEl) return;
    statusEl.hidden = false;
    statusEl.dataset.state = state;
    if (statusEl.textContent !== STATUS_TEXT[state]) statusEl.textContent = STATUS_TEXT[state];
  }

  function connect() {
    clearTimeout(retryTimer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ view, since });
    const room = sectionsEl?.dataset.room;
    if (room) query.set("room", room);
    if (pageThing) query.set("thing", pageThing);
    if (pageThing && drawnUpdate) query.set("drawn", drawnUpdate);
    const ws = new WebSocket(`${scheme}//${location.host}/ws/household/?${query}`);
    socket = ws;
    lastSeq = 0; // seq counts per socket
    ackedSeq = 0;
    snapshotParts = [];
    ws.onmessage = onMessage;
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      pageDown = true;
      markAllStale();
      for (const request of [...pending.keys()]) finish(request, "Connection lost", "error");
      if (event.code === 4410) return location.reload(); // access changed: the server decides
      // Signed out or no household: retrying cannot help (a reload shows the sign-in page).
      if (event.code === 4401 || event.code === 4403) return setStatus("offline");
      // A refused reconnect looks like a network failure to the page (no close code): once a
      // retry has failed, ask the page itself whether the session is still good. If the
      // server now redirects it (signed out, access gone while the 4410 was lost), reload.
      if (attempt === 0) return scheduleRetry();
      accessGone().then((gone) => (gone ? location.reload() : scheduleRetry()));
    };
  }

  async function accessGone() {
    try {
      const probe = await fetch(location.href, { redirect: "manual", cache: "no-store" });
      return probe.type === "opaqueredirect";
    } catch {
      return false; // the network is down: keep retrying
    }
  }

  function scheduleRetry() {
    attempt += 1;
    setStatus(attempt > OFFLINE_AFTER || navigator.onLine === false ? "offline" : "reconnecting");
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempt - 1));
    // Full jitter over the upper half, so a restarted server is not hit by every page at once.
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  // ---- wiring -----------------------------------------------------------------------------

  document.addEventListener("click", onControl);
  document.addEventListener("change", onControl);
  document.addEventListener("input", (event) => {
    // Show a slider's value while it moves; it is sent only on change.
    const el = event.target;
    if (el.dataset?.kind !== "range") return;
    const key = CSS.escape(el.dataset.stateKey || "");
    const out = el.closest("[data-thing]")?.querySelector(`span[data-state-key="${key}"]`);
    if (out) out.textContent = el.value;
  });
  document.addEventListener("pointerdown", (event) => {
    if (event.target.dataset?.control) event.target.dataset.dragging = "1";
  });
  const endDrag = () => {
    document.querySelectorAll("[data-dragging]").forEach((el) => delete el.dataset.dragging);
    setTimeout(releaseHeld);
  };
  document.addEventListener("pointerup", endDrag);
  document.addEventListener("live:release", () => setTimeout(releaseHeld)); // arrange.js
  document.addEventListener("pointercancel", endDrag);
  document.addEventListener("focusout", (event) => {
    // A value or a redrawn piece that arrived while the user held a control lands now.
    const el = event.target;
    setTimeout(releaseHeld); // once focus has moved on
    if (el.dataset?.deferred === undefined) return;
    el.value = el.dataset.deferred;
    delete el.dataset.deferred;
  });
  window.addEventListener("online", () => { if (!socket) connect(); });
  // Forms drawn live (fragments) have no CSRF token of their own: the page's goes with them.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.method !== "post" || form.querySelector("[name=csrfmiddlewaretoken]")) return;
    const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    if (!token) return;
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "csrfmiddlewaretoken";
    input.value = token;
    form.append(input);
  });
  document.addEventListener("htmx:load", (event) => adopt(event.detail.elt));

  setInterval(sendAck, ACK_INTERVAL_MS);
  if (document.querySelector("[data-thing]") || statusEl || sectionsEl) connect();
})();
