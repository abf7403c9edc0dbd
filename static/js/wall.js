// The wall view keeps the screen on while it is shown (Screen Wake Lock API where the browser
// has it; the lock is released whenever the tab is hidden, so it is taken again on return).
(() => {
  "use strict";
  const status = document.querySelector("[data-wake-status]");
  const say = (text, state) => {
    if (!status) return;
    status.textContent = text;
    status.dataset.state = state;
  };
  if (!("wakeLock" in navigator)) {
    say("This browser cannot keep the screen on", "unsupported");
    return;
  }
  let lock = null;
  async function keepAwake() {
    if (document.visibilityState !== "visible" || lock) return;
    try {
      lock = await navigator.wakeLock.request("screen");
      say("Screen stays on", "on");
      lock.addEventListener("release", () => {
        lock = null;
        say("Screen may turn off", "off");
      });
    } catch (error) {
      // Refused (battery saver, no user gesture yet, not a secure context): try on next touch.
      say("Screen may turn off", "refused");
    }
  }
  document.addEventListener("visibilitychange", keepAwake);
  document.addEventListener("pointerdown", keepAwake);
  keepAwake();
})();
