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
