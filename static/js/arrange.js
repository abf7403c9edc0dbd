// Drag and drop for admins: the rooms of a home (homes page) and the cards of a room
// (dashboard, after "Arrange cards"). The dragged item moves as the pointer goes; on the drop
// the new order is posted, and every open page (this one too) redraws from the structure
// event. A refusal shows its words and puts the item back. Keyboard: the rooms' Up/Down
// buttons, and each card's Earlier/Later buttons while arranging.
(() => {
  "use strict";

  const statusEl = document.querySelector("[data-arrange-status]");
  const token = () => JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  let dragged = null; // {el, from: parent, next: sibling}: where to put it back

  function say(words) {
    if (!statusEl) return;
    statusEl.textContent = words;
    statusEl.hidden = !words;
  }

  async function post(url, data) {
    const body = new URLSearchParams(data);
    try {
      const r = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": token() } });
      if (r.ok) return "";
      const answer = await r.json().catch(() => ({}));
      return answer.error || (r.status === 403 ? "Only admins and owners arrange." : "That did not work; try again.");
    } catch {
      return "The dashboard could not be reached; nothing was changed.";
    }
  }

  // The sibling the dragged item goes before, from the pointer: the nearest item, before it
  // if the pointer is on its first half (across a row of cards, down a list of rooms).
  function placeAt(container, items, x, y, across) {
    let best = null;
    let bestDistance = Infinity;
    for (const item of items) {
      if (item === dragged.el) continue;
      const box = item.getBoundingClientRect();
      const cx = box.left + box.width / 2;
      const cy = box.top + box.height / 2;
      const distance = Math.hypot(cx - x, cy - y);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = { item, before: across ? x < cx : y < cy };
      }
    }
    if (!best) container.append(dragged.el);
    else if (best.before) best.item.before(dragged.el);
    else best.item.after(dragged.el);
  }

  function start(event, el) {
    const home = el.closest(".room")?.dataset.homeId;
    dragged = { el, from: el.parentElement, next: el.nextElementSibling, home };
    el.dataset.moving = "1"; // live.js holds redraws of the part being arranged
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", el.dataset.thing || el.dataset.room || "");
    say("");
  }

  function putBack(moved) {
    if (moved.next && moved.next.parentElement === moved.from) moved.next.before(moved.el);
    else moved.from.append(moved.el);
  }

  function finish(moved) {
    delete moved.el.dataset.moving;
    document.dispatchEvent(new Event("live:release")); // redraws held meanwhile land now
  }

  // Post the place `moved` was dropped in; put it back and say why if that was refused.
  async function settle(moved, send) {
    const error = await send(moved.el);
    if (error) putBack(moved);
    say(error);
    finish(moved);
  }

  // ---- rooms of a home (homes page) ----------------------------------------------------

  const roomItems = (list) => [...list.querySelectorAll(":scope > li[data-room]")];

  document.addEventListener("dragstart", (event) => {
    const room = event.target.closest?.("[data-room-order] > li[data-room]");
    if (room) start(event, room);
    const card = event.target.closest?.(".arranging [data-thing][draggable=true]");
    if (card) start(event, card);
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    if (dragged.el.dataset.room) {
      const list = event.target.closest?.("[data-room-order]");
      if (list !== dragged.from) return; // rooms stay in their home
      event.preventDefault();
      placeAt(list, roomItems(list), event.clientX, event.clientY, false);
      return;
    }
    const room = event.target.closest?.(".arranging .room[data-home-id]");
    if (!room || !dragged.home || room.dataset.homeId !== dragged.home) return; // stays home
    event.preventDefault();
    const cards = cardsOf(room);
    placeAt(cards, [...cards.querySelectorAll(":scope > [data-thing]")], event.clientX, event.clientY, true);
  });

  document.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const moved = dragged;
    dragged = null; // dragend comes before the answer: the drop is this handler's now
    settle(moved, moved.el.dataset.room ? dropRoom : dropCard);
  });

  document.addEventListener("dragend", () => {
    if (!dragged) return;
    putBack(dragged); // dropped outside any place it may go
    finish(dragged);
    dragged = null;
  });

  function dropRoom(el) {
    const list = el.parentElement;
    const order = roomItems(list).map((li) => li.dataset.room).join(",");
    return post(list.dataset.roomOrder, { order });
  }

  // ---- cards of a room (dashboard) -----------------------------------------------------

  function cardsOf(room) {
    let cards = room.querySelector(":scope > .cards");
    if (!cards) {
      room.querySelector(":scope > p.muted")?.remove(); // "Nothing in this room."
      cards = document.createElement("div");
      cards.className = "cards";
      room.append(cards);
    }
    return cards;
  }

  function dropCard(card) {
    const room = card.closest(".room");
    if (!room) return Promise.resolve("Drop the card on a room.");
    const order = [...card.parentElement.querySelectorAll(":scope > [data-thing]")]
      .map((el) => el.dataset.thing).join(",");
    return post(`/things/${card.dataset.thing}/place/`, { room: room.dataset.roomId || "", order });
  }

  function nudge(card, step) {
    const sibling = step < 0 ? card.previousElementSibling : card.nextElementSibling;
    if (!sibling?.dataset.thing) return;
    const moved = { el: card, from: card.parentElement, next: card.nextElementSibling };
    card.dataset.moving = "1";
    if (step < 0) sibling.before(card);
    else sibling.after(card);
    settle(moved, dropCard);
  }

  function decorate(card) {
    if (card.dataset.itemType === "2" || card.querySelector(":scope > .card__arrange")) return;
    card.draggable = true;
    const name = card.querySelector(".card__title")?.textContent.trim() || "this card";
    const bar = document.createElement("div");
    bar.className = "card__arrange";
    for (const [step, words] of [[-1, "← Earlier"], [1, "Later →"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button button--small";
      button.textContent = words;
      button.setAttribute("aria-label", `Move ${name} ${step < 0 ? "earlier" : "later"}`);
      button.addEventListener("click", () => nudge(card, step));
      bar.append(button);
    }
    card.append(bar);
  }

  function undecorate(card) {
    card.removeAttribute("draggable");
    card.querySelector(":scope > .card__arrange")?.remove();
  }

  const toggle = document.querySelector("[data-arrange-toggle]");
  const sections = document.querySelector('[data-fragment="sections"]');
  if (toggle && sections) {
    const apply = () => {
      const on = toggle.getAttribute("aria-pressed") === "true";
      sections.classList.toggle("arranging", on);
      sections.querySelectorAll("[data-thing]").forEach(on ? decorate : undecorate);
    };
    toggle.addEventListener("click", () => {
      const on = toggle.getAttribute("aria-pressed") !== "true";
      toggle.setAttribute("aria-pressed", String(on));
      toggle.textContent = on ? "Done arranging" : "Arrange cards";
      say("");
      apply();
    });
    // Rooms redrawn live, or loaded as they scroll into view, arrive undecorated.
    new MutationObserver(() => {
      if (sections.classList.contains("arranging")) sections.querySelectorAll("[data-thing]").forEach(decorate);
    }).observe(sections, { childList: true, subtree: true });
  }
})();
