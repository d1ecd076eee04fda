"""Hands-free voice conversation, independent of any surface (chat UI, WebSocket, bench).

``vad`` (streaming Silero VAD) → ``turns`` (end-of-utterance detection on the server) → ``loop`` (speculative STT
and answer, agent turn, streamed speech, barge-in, echo guard), emitting the typed events of ``events``;
``drafts`` holds a speculative answer's parts, ``echo`` the echo guard's word matching.
"""
