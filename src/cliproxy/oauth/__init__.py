"""OAuth machinery shared by every subscription login: PKCE, the loopback callback, the browser /
paste / device flows, token-endpoint calls and the Cloud Code Assist onboarding steps."""
