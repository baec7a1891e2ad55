// Work queue pages: the Next shortcut and "select all" for bulk reassignment.
// A static file, as the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // "n" presses Next, unless the tracer is typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" && event.key !== "N") {
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var form = document.getElementById("queue-next");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.classList || !box.classList.contains("queue-select-all")) {
      return;
    }
    var table = box.closest("table");
    table.querySelectorAll('input[name="items"]').forEach(function (item) {
      item.checked = box.checked;
    });
  });
})();
