/* Lightwing pages: texts, display toggles (large text, high contrast), small helpers. */
(function () {
  "use strict";
  var island = document.getElementById("lw-texts");
  var TEXTS = island ? JSON.parse(island.textContent || "{}") : {};
  var root = document.documentElement;
  var LANG = root.getAttribute("lang") && root.getAttribute("lang").indexOf("zh") === 0 ? "zh" : "en";

  /** The page text for key, with {name} placeholders filled from values. */
  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(TEXTS, key) ? TEXTS[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
      });
    }
    return text;
  }

  /** An element with attributes and children (strings become text, never HTML). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = value; } else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var PREFS = { large: { cls: "lw-large", store: "lw.large" }, contrast: { cls: "lw-contrast", store: "lw.contrast" } };

  function syncToggle(button) {
    var pref = PREFS[button.getAttribute("data-pref")];
    if (!pref) { return; }
    button.setAttribute("aria-pressed", root.classList.contains(pref.cls) ? "true" : "false");
  }

  function setupToggles() {
    var buttons = document.querySelectorAll(".pref-toggle");
    Array.prototype.forEach.call(buttons, function (button) {
      syncToggle(button);
      button.addEventListener("click", function () {
        var pref = PREFS[button.getAttribute("data-pref")];
        var on = !root.classList.contains(pref.cls);
        root.classList.toggle(pref.cls, on);
        try { localStorage.setItem(pref.store, on ? "1" : "0"); } catch (e) { /* not remembered */ }
        syncToggle(button);
      });
    });
  }

  function formatTime(iso) {
    if (!iso) { return ""; }
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return String(iso); }
    return new Intl.DateTimeFormat(LANG === "zh" ? "zh-CN" : "en-GB", { dateStyle: "medium", timeStyle: "short" }).format(date);
  }

  setupToggles();
  window.LW = { t: t, el: el, lang: LANG, formatTime: formatTime };
})();
