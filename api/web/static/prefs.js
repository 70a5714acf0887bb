/* Lightwing: apply remembered display choices before the first paint (loaded in <head>). */
(function () {
  "use strict";
  var root = document.documentElement;
  try {
    var large = localStorage.getItem("lw.large");
    // A resident whose profile asks for large text gets it until they choose otherwise.
    if (large === "1" || (large === null && root.getAttribute("data-large-default") === "1")) {
      root.classList.add("lw-large");
    }
    if (localStorage.getItem("lw.contrast") === "1") { root.classList.add("lw-contrast"); }
  } catch (e) { /* storage blocked: the defaults stay */ }
})();
