// vozbd: play the spoken answer's audio clips one after another.
// The server sends the first sentence as soon as it is synthesized and the rest as further clips; each clip
// autoplays when it arrives, so a clip that starts while another is still playing waits for it to end.
(function () {
  "use strict";
  var queue = [];
  var current = null;

  function isBusy(el) {
    return el && !el.paused && !el.ended;
  }

  function playNext() {
    current = null;
    while (queue.length) {
      var next = queue.shift();
      if (next.isConnected) {
        next.dataset.vozbdReleased = "1";
        current = next;
        next.currentTime = 0;
        var started = next.play();
        if (started && started.catch) started.catch(function () { playNext(); });
        return;
      }
    }
  }

  document.addEventListener("play", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLAudioElement)) return;
    if (el.dataset.vozbdReleased === "1") { delete el.dataset.vozbdReleased; current = el; return; }
    if (el.autoplay && el !== current && isBusy(current)) {
      el.pause();
      queue.push(el);
      return;
    }
    current = el;
  }, true);

  document.addEventListener("ended", function (event) {
    if (event.target === current) playNext();
  }, true);
})();

// vozbd: the page in Brazilian Portuguese. Chainlit translates its labels from translations/pt-BR.json, but a
// few strings are hard-coded in its bundle (screen-reader labels, the "Listening" status, the table pager) and
// the page is served as <html lang="en">: fix both in the DOM as it renders.
(function () {
  "use strict";
  document.documentElement.lang = "pt-BR";
  var TEXTS = {
    "Listening": "Ouvindo",
    "Toggle theme": "Alternar tema",
    "Close": "Fechar",
    "Previous": "Anterior",
    "Next": "Próxima",
    "More pages": "Mais páginas",
    "No results.": "Nenhum resultado.",
    "Toggle Sidebar": "Alternar barra lateral",
  };
  var ATTRIBUTES = ["aria-label", "title", "placeholder"];
  var LABELS = {
    "Close": "Fechar",
    "Go to previous page": "Página anterior",
    "Go to next page": "Próxima página",
    "pagination": "paginação",
    "breadcrumb": "trilha",
    "Toggle Sidebar": "Alternar barra lateral",
  };

  function translateNode(node) {
    if (node.nodeType === Node.TEXT_NODE) {
      var text = node.nodeValue.trim();
      if (text && Object.prototype.hasOwnProperty.call(TEXTS, text)) node.nodeValue = TEXTS[text];
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    translateAttributes(node);
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var current;
    while ((current = walker.nextNode())) {
      if (current.nodeType === Node.TEXT_NODE) {
        var value = current.nodeValue.trim();
        if (value && Object.prototype.hasOwnProperty.call(TEXTS, value)) current.nodeValue = TEXTS[value];
      } else {
        translateAttributes(current);
      }
    }
  }

  function translateAttributes(el) {
    for (var i = 0; i < ATTRIBUTES.length; i++) {
      var value = el.getAttribute(ATTRIBUTES[i]);
      if (value && Object.prototype.hasOwnProperty.call(LABELS, value)) el.setAttribute(ATTRIBUTES[i], LABELS[value]);
    }
  }

  function start() {
    if (document.documentElement.lang !== "pt-BR") document.documentElement.lang = "pt-BR";
    translateNode(document.body);
    new MutationObserver(function (mutations) {
      for (var i = 0; i < mutations.length; i++) {
        var m = mutations[i];
        if (m.type === "childList") {
          for (var j = 0; j < m.addedNodes.length; j++) translateNode(m.addedNodes[j]);
        } else if (m.type === "characterData") {
          translateNode(m.target);
        } else if (m.type === "attributes") {
          if (m.target === document.documentElement && m.attributeName === "lang") {
            if (document.documentElement.lang !== "pt-BR") document.documentElement.lang = "pt-BR";
          } else {
            translateAttributes(m.target);
          }
        }
      }
    }).observe(document.documentElement, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
      attributeFilter: ATTRIBUTES.concat(["lang"]),
    });
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();

// vozbd: slash commands run with one Enter. Chainlit's command menu turns "/esquema" + Enter into a chip and
// waits for a second Enter; when the menu picked a command on Enter and left the box empty, send it at once, so
// the chip never lingers to capture the next message.
(function () {
  "use strict";
  document.addEventListener(
    "keydown",
    function (event) {
      var box = event.target;
      if (!box || box.id !== "chat-input" || event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      if (!/^\/[^\s/]+$/.test((box.value || "").trim())) return;
      setTimeout(function () {
        var input = document.getElementById("chat-input");
        var send = document.getElementById("chat-submit");
        if (input && input.value === "" && send && !send.disabled) send.click();
      }, 30);
    },
    true
  );
})();

// vozbd: each answer ends in view. Chainlit pins the last question to the top of the chat and grows the answer
// below it; a table or chart arriving last can end up under the message box. While following (after the user
// sends something, until they scroll up), scroll just enough to show the bottom of the newest content.
(function () {
  "use strict";
  var following = false;
  var pending = false;

  function scroller() {
    var step = document.querySelector("[data-step-type]");
    for (var el = step && step.parentElement; el; el = el.parentElement) {
      var style = getComputedStyle(el);
      if ((style.overflowY === "auto" || style.overflowY === "scroll") && el.scrollHeight > 0) return el;
    }
    return null;
  }

  function reveal() {
    pending = false;
    if (!following) return;
    var box = scroller();
    if (!box) return;
    var spacer = box.lastElementChild;
    var contentBottom = box.scrollHeight - (spacer ? spacer.offsetHeight : 0);
    var target = contentBottom - box.clientHeight + 16;
    if (target > box.scrollTop + 2) box.scrollTop = target;
  }

  function schedule() {
    if (pending || !following) return;
    pending = true;
    requestAnimationFrame(function () { setTimeout(reveal, 0); });
  }

  function follow() {
    following = true;
    schedule();
  }

  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.id === "chat-input" && event.key === "Enter" && !event.shiftKey) follow();
  }, true);
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("#chat-submit, .step button, [id^='action-']")) follow();
  }, true);
  document.addEventListener("wheel", function (event) { if (event.deltaY < 0) following = false; }, { passive: true, capture: true });
  var touchY = null;
  document.addEventListener("touchstart", function (event) { touchY = event.touches[0].clientY; }, { passive: true, capture: true });
  document.addEventListener("touchmove", function (event) {
    if (touchY !== null && event.touches[0].clientY > touchY + 10) following = false;
  }, { passive: true, capture: true });
  // Images and charts change size after they are inserted: follow their load/resize too.
  document.addEventListener("load", schedule, true);

  function start() {
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true, characterData: true });
    if (window.ResizeObserver) {
      var sizes = new ResizeObserver(schedule);
      setInterval(function () {
        var box = scroller();
        if (box && box.firstElementChild && !box.dataset.vozbdObserved) {
          box.dataset.vozbdObserved = "1";
          sizes.observe(box.firstElementChild);
        }
      }, 1000);
    }
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();

// The microphone's chunks: Chainlit's recorder (wavtools' WavRecorder, exposed as globalThis.WavRecorder) hands
// audio to the server in 8192-byte chunks, 171 ms at its 24 kHz, and a hands-free turn can only notice that the
// voice stopped once the chunk holding that moment has arrived. Ask for 1920-byte chunks instead (40 ms; the
// recorder delivers whole 128-sample blocks, so ~43 ms): the end of a question reaches the server ~65 ms sooner
// on average. The recorder exists once Chainlit's bundle has run, which may be after this file.
(function () {
  "use strict";
  var CHUNK_BYTES = 1920;
  var tries = 0;

  function patch() {
    var Recorder = globalThis.WavRecorder;
    if (!Recorder || !Recorder.prototype || typeof Recorder.prototype.record !== "function") {
      if (tries++ < 600) setTimeout(patch, 50);
      return;
    }
    if (Recorder.prototype.vozbdChunkBytes) return;
    var record = Recorder.prototype.record;
    Recorder.prototype.record = function (chunkProcessor) {
      return record.call(this, chunkProcessor, CHUNK_BYTES);
    };
    Recorder.prototype.vozbdChunkBytes = CHUNK_BYTES;
  }

  patch();
})();
