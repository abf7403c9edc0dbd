// Select mode on the dashboard: a box on each card, labelled with its thing's name, and the
// bar of what to do with the chosen things (templates/dashboard/_selection_bar.html).
// The server draws neither the boxes nor the choice: cards are cached for everyone and
// redrawn live (live.js puts fragments in place), so this script puts a box on every card
// that arrives (a redrawn room, a lazy room) and ticks again the ones chosen before.
// The choice outlives an action's POST-redirect (sessionStorage, this tab only).
(() => {
  "use strict";

  const KEY = `selection:${location.pathname}`;
  const NOTHING = "Nothing chosen yet: tick the boxes on the cards.";
  const toggle = document.querySelector("[data-select-toggle]");
  const bar = document.querySelector("[data-selection-bar]");
  const count = bar?.querySelector("[data-selection-count]");
  if (!toggle || !bar || !count) return;

  const chosen = new Set(); // thing ids (strings, as in data-thing)
  let selecting = false;

  function save() {
    sessionStorage.setItem(KEY, JSON.stringify({ selecting, ids: [...chosen] }));
  }

  function restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEY) || "{}");
      selecting = saved.selecting === true;
      for (const id of Array.isArray(saved.ids) ? saved.ids : []) chosen.add(String(id));
    } catch {
      sessionStorage.removeItem(KEY);
    }
  }

  function nameOf(card) {
    const title = document.getElementById(`thing-${card.dataset.thing}-title`);
    return (title?.textContent || "").trim() || `thing ${card.dataset.thing}`;
  }

  function boxOf(card) {
    let box = card.querySelector(":scope > [data-select-box]");
    if (!box) {
      box = document.createElement("input");
      box.type = "checkbox";
      box.name = "thing";
      box.value = card.dataset.thing;
      box.id = `select-thing-${card.dataset.thing}`;
      box.className = "card__select";
      box.dataset.selectBox = "";
      box.setAttribute("form", bar.id); // submitted with the bar, wherever the card is
      box.setAttribute("aria-label", `Select ${nameOf(card)}`);
      card.prepend(box);
    }
    return box;
  }

  function decorate(root) {
    const cards = root.matches?.("[data-thing]") ? [root] : root.querySelectorAll?.("[data-thing]") || [];
    for (const card of cards) {
      if (!selecting) {
        card.querySelector(":scope > [data-select-box]")?.remove();
        card.classList.remove("card--chosen");
        continue;
      }
      const box = boxOf(card);
      box.checked = chosen.has(card.dataset.thing);
      card.classList.toggle("card--chosen", box.checked);
    }
  }

  function showCount() {
    const n = chosen.size;
    count.textContent = n ? `${n} thing${n === 1 ? "" : "s"} chosen` : NOTHING;
    for (const button of bar.querySelectorAll("button")) button.disabled = n === 0;
  }

  function show() {
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", String(selecting));
    bar.hidden = !selecting;
    decorate(document);
    showCount();
  }

  toggle.addEventListener("click", () => {
    selecting = !selecting;
    if (!selecting) chosen.clear();
    save();
    show();
  });

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.matches?.("[data-select-box]")) return;
    if (box.checked) chosen.add(box.value);
    else chosen.delete(box.value);
    // The same thing may have a card twice (a room and a filter); both follow.
    for (const other of document.querySelectorAll(`[data-select-box][value="${CSS.escape(box.value)}"]`)) {
      other.checked = box.checked;
      other.parentElement.classList.toggle("card--chosen", box.checked);
    }
    save();
    showCount();
  });

  // Redrawn rooms and homes come without boxes: put them back, ticked as they were.
  new MutationObserver((records) => {
    if (!selecting) return;
    for (const record of records) {
      for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE) decorate(node);
    }
  }).observe(document.body, { childList: true, subtree: true });

  restore();
  show();
})();
