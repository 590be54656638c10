//! Channel authorization and user authentication for pusher-js.
