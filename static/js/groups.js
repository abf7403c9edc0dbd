// The groups page's "Create a group" form: offer as other members only the devices of the
// main device's kind (same UIID), as the eWeLink cloud keeps no others. The server checks
// the same rule, so without this script every device is listed and a wrong one is refused
// in words.
(() => {
  "use strict";

  for (const form of document.querySelectorAll("[data-group-create]")) {
    const main = form.querySelector("select[name=main]");
    const none = form.querySelector("[data-no-members]");
    const offer = () => {
      const uiid = main.selectedOptions[0]?.dataset.uiid;
      let shown = 0;
      for (const choice of form.querySelectorAll("[data-member-choice]")) {
        const box = choice.querySelector("input");
        const fits = choice.dataset.uiid === uiid && box.value !== main.value;
        choice.hidden = !fits;
        if (!fits) box.checked = false;
        shown += fits ? 1 : 0;
      }
      none.hidden = shown > 0;
    };
    main.addEventListener("change", offer);
    offer();
  }
})();
