// A checked password, remembered. nginx checks a browser's Basic credentials against their
// bcrypt hash on every request, about 55 ms of CPU at cost 10, and a first visit of the UI makes
// some fifty requests at once: seconds of waiting. So the answer to a request whose credentials
// nginx has just checked carries a cookie that says so, sealed with a key made at each start
// (credentials.sh): for this entry, these exact credentials and the next 8 hours. A request that
// brings the cookie with the same credentials is let in without the hash; the cookie alone, or
// with any other credentials, lets nobody in. A restart (a new password) forgets every cookie.
import crypto from 'crypto';
import fs from 'fs';

const KEY = '/tmp/bookshop/login.key';
const SECONDS = 8 * 3600;

function cookieName(r) {
    return 'bookshop_' + r.variables.bookshop_entry;
}

function seal(r, expires) {
    return crypto.createHmac('sha256', fs.readFileSync(KEY))
        .update([r.variables.bookshop_entry, expires, r.variables.http_authorization].join('\n'))
        .digest('base64url');
}

function same(a, b) {
    let difference = a.length ^ b.length;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
        difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }
    return difference === 0;
}

// "1" when the request brings this entry's cookie for its own credentials, still valid; else "".
function remembered(r) {
    const parts = (r.variables['cookie_' + cookieName(r)] || '').split('.');
    const expires = parts[0];
    const sealed = parts[1];
    if (!r.variables.http_authorization || !sealed || !(Number(expires) > Date.now() / 1000)) {
        return '';
    }
    return same(sealed, seal(r, expires)) ? '1' : '';
}

// The Set-Cookie value for an answer to credentials nginx has just checked; else "" (no header).
// Never on the hashed static files, which caches may keep for a year.
function cookie(r) {
    if (!r.variables.http_authorization || r.variables.static_cache_control || r.variables.login_remembered) {
        return '';
    }
    const expires = String(Math.floor(Date.now() / 1000) + SECONDS);
    const secure = r.variables.https === 'on' ? '; Secure' : '';
    return `${cookieName(r)}=${expires}.${seal(r, expires)}; Path=/; Max-Age=${SECONDS}; HttpOnly; SameSite=Strict${secure}`;
}

export default {remembered, cookie};
