/**
 * The operators' dashboard at {@code /dashboard/} on the management port: a sign-in with the
 * admin key that leaves a session cookie, the web app's static files, and the admin API and the
 * API for backends served again under {@code /dashboard/admin} and {@code /dashboard/api} for a
 * signed-in session, every action written to the {@code chorus.audit} log. The data the app
 * shows comes from those APIs (ops, api); this package adds no query of its own.
 */
package dev.chorus.dashboard;
