// The admin's language switcher submits itself when a language is picked; its button stays for
// browsers without scripts.
document.addEventListener("change", function (event) {
  "use strict";
  if (event.target.matches && event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});
