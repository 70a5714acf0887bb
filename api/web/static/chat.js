/* Lightwing resident chat: send text, buttons and voice notes; show replies in the live log. */
(function () {
  "use strict";
  var t = window.LW.t, el = window.LW.el;
  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var sendButton = document.getElementById("chat-send");
  var statusBox = document.getElementById("chat-status");
  var errorBox = document.getElementById("chat-error");
  var recordButton = document.getElementById("voice-record");
  var fileForm = document.getElementById("voice-file-form");
  var fileInput = document.getElementById("voice-file");
  var busy = false;
  var POLL_MS = 5000;

  function setStatus(text) { statusBox.textContent = text || ""; }
  function setError(text) { errorBox.textContent = text || ""; }

  /** One message, built like templates/_message.html. */
  function messageNode(m) {
    var who = el("p", { "class": "msg-who", text: m.from === "user" ? t("web.chat.you") : t("web.chat.bot") });
    var body = el("p", { "class": "msg-text", lang: m.lang, text: m.text || "" });
    var children = [who, body];
    if (m.buttons && m.buttons.length) {
      var group = el("div", { "class": "msg-buttons", role: "group", "aria-label": t("web.chat.choices"), lang: m.lang });
      m.buttons.forEach(function (line) {
        line.forEach(function (b) {
          group.appendChild(el("button", { type: "button", "class": "choice", "data-action": b.data, disabled: !!m.answered, text: b.label }));
        });
      });
      children.push(group);
    }
    if (m.audio) {
      children.push(el("audio", { "class": "msg-audio", controls: true, preload: "none", src: m.audio, "aria-label": t("web.chat.listen") }));
    }
    return el("div", { "class": "msg msg-" + m.from, id: "msg-" + m.id, "data-id": String(m.id) }, children);
  }

  function show(messages) {
    (messages || []).forEach(function (m) {
      if (document.getElementById("msg-" + m.id)) { return; }
      log.appendChild(messageNode(m));
    });
    log.scrollTop = log.scrollHeight;
  }

  /** POST or GET JSON; resolves to the body, rejects with a message in the page language. */
  function call(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var message = data && data.error && data.error.message;
          throw new Error(message || t("web.chat.error_server"));
        }
        return data;
      });
    }, function () { throw new Error(t("web.chat.error_network")); });
  }

  function run(method, url, body, doneText, after) {
    busy = true;
    setError("");
    setStatus(t("web.chat.sending"));
    return call(method, url, body).then(function (data) {
      show(data.messages);
      setStatus(doneText || "");
      if (after) { after(data); }
      return true;
    }).catch(function (error) {
      setStatus("");
      setError(error.message);
      return false;
    }).then(function (ok) { busy = false; return ok; });
  }

  function sendText() {
    var text = input.value.trim();
    if (!text) {
      setError(t("web.chat.error_empty"));
      input.focus();
      return;
    }
    if (busy) { return; }
    run("POST", "/chat/message", { text: text }).then(function (ok) {
      // The typed text is kept when sending failed, so nothing is lost.
      if (ok) { input.value = ""; }
    });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); sendText(); });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line; never while an input method is composing (中文).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      sendText();
    }
  });

  log.addEventListener("click", function (event) {
    var button = event.target.closest("button.choice");
    if (!button || button.disabled || busy) { return; }
    var group = button.parentNode;
    run("POST", "/chat/button", { data: button.getAttribute("data-action") }, undefined, function (data) {
      // A language chosen in the conversation: the whole page follows it, back at the chat.
      if (data.page_lang && data.page_lang !== window.LW.lang) {
        window.location.assign("/?lang=" + encodeURIComponent(data.page_lang) + "#chat-log");
      }
    }).then(function (ok) {
      if (!ok) { return; }
      Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) { b.disabled = true; });
      // The pressed button is gone from the tab order now: continue in the message box.
      if (document.activeElement === null || document.activeElement === document.body || document.activeElement.disabled) {
        input.focus();
      }
    });
  });

  /* Voice notes: record in the browser, or choose a file. */
  var recorder = null, chunks = [];

  function upload(blob, name) {
    var data = new FormData();
    data.append("audio", blob, name);
    return run("POST", "/chat/voice", data, t("web.voice.sent"));
  }

  function startRecording() {
    if (!navigator.mediaDevices || !window.MediaRecorder) {
      setError(t("web.voice.unsupported"));
      fileInput.focus();
      return;
    }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      chunks = [];
      var type = MediaRecorder.isTypeSupported("audio/ogg;codecs=opus") ? "audio/ogg;codecs=opus" : "audio/webm;codecs=opus";
      recorder = new MediaRecorder(stream, { mimeType: type });
      recorder.addEventListener("dataavailable", function (event) { if (event.data.size) { chunks.push(event.data); } });
      recorder.addEventListener("stop", function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        var blob = new Blob(chunks, { type: recorder.mimeType.split(";")[0] });
        recorder = null;
        recordButton.textContent = recordButton.getAttribute("data-label-start");
        upload(blob, type.indexOf("ogg") >= 0 ? "voice.ogg" : "voice.webm");
      });
      recorder.start();
      recordButton.textContent = recordButton.getAttribute("data-label-stop");
      setError("");
      setStatus(t("web.voice.recording"));
    }, function () {
      setError(t("web.voice.denied"));
    });
  }

  recordButton.addEventListener("click", function () {
    if (recorder) { recorder.stop(); } else { startRecording(); }
  });

  fileForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files && fileInput.files[0];
    if (!file) {
      setError(t("web.voice.choose_first"));
      fileInput.focus();
      return;
    }
    upload(file, file.name).then(function (ok) { if (ok) { fileForm.reset(); } });
  });

  /* News from volunteers and coordinators (the outbox), shown once each. */
  function poll() {
    if (document.hidden || busy) { return; }
    call("GET", "/chat/poll").then(function (data) { show(data.messages); }, function () { /* next time */ });
  }
  window.setInterval(poll, POLL_MS);

  if (!log.querySelector(".msg")) {
    run("POST", "/chat/start");
  } else {
    log.scrollTop = log.scrollHeight;
  }
})();
