/**
 * Who a connection is: connection tokens (JWT: HS256, RS256, ES256, JWKS) verified at the
 * upgrade, the {@link dev.chorus.auth.Identity} they give (subject, topic patterns, presence
 * meta, expiry), and the {@code token} command that mints one. Pure code apart from key loading.
 */
package dev.chorus.auth;
