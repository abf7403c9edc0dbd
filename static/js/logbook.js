// Timelines (the logbook, a thing's history panel) take in new entries as they are stored:
// live.js re-dispatches every socket frame as a `live:frame` event; on news of the logbook
// (or a new notification) each timeline asks the server for the rows newer than its top row
// (the server applies the page's filters and what the viewer may see) and puts them on top.
(() => {
  "use strict";
  if (window.logbookTimelines) return; // included by more than one panel
  window.logbookTimelines = true;

  const NEWS = new Set(["logbook", "notification"]);
  let queue = Promise.resolve();
  let timer = null;

  async function refresh(list) {
    const top = list.querySelector("[data-entry]");
    const url = list.dataset.newerUrl + (top ? `&after=${encodeURIComponent(top.dataset.cursor)}` : "");
    const response = await fetch(url, { headers: { "HX-Request": "true" }, cache: "no-store" });
    if (!response.ok) return;
    const html = await response.text();
    if (top) list.insertAdjacentHTML("afterbegin", html);
    else list.innerHTML = html;
    if (window.htmx) window.htmx.process(list);
    if (list.querySelector("[data-entry]")) {
      list.parentElement?.querySelector("[data-timeline-empty]")?.remove();
    }
  }

  function refreshAll() {
    for (const list of document.querySelectorAll("[data-timeline]")) {
      queue = queue.then(() => refresh(list)).catch(() => {}); // one fetch at a time per page
    }
  }

  document.addEventListener("live:frame", (event) => {
    if (!NEWS.has(event.detail?.type)) return;
    clearTimeout(timer);
    timer = setTimeout(refreshAll, 150); // a burst of news is one fetch
  });
  // A snapshot follows every (re)connect: whatever was stored before the socket was up is
  // fetched too (an empty timeline asks for its first page).
  document.addEventListener("live:frame", (event) => {
    if (event.detail?.type === "snapshot") refreshAll();
  });
})();
