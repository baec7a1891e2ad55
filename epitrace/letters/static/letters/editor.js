// The template editor's live preview: after a pause in typing, submit the
// form to the preview frame (the "Update preview" button does the same).
(function () {
  "use strict";
  var form = document.querySelector("[data-letter-editor]");
  if (!form) {
    return;
  }
  var button = form.querySelector("[data-preview-button]");
  var timer = null;
  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      button.click();
    }, 800);
  });
})();
