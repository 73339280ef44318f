/**
 * The passkey parts of the login pages: a button that runs the WebAuthn ceremony in the browser
 * (@simplewebauthn/browser, served from its own dist build, never from a CDN) and posts the answer as a
 * plain form, so the rest of the login stays server-rendered.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { both, escapeHtml } from '../../../auth/oidc/pages';

/** Finds the button, runs the ceremony named by data-passkey, and submits its form with the answer. */
const GLUE = `document.querySelectorAll('[data-passkey]').forEach(function (button) {
  button.addEventListener('click', async function () {
    var form = button.closest('form');
    var status = form.querySelector('[role=status]');
    var optionsJSON = JSON.parse(button.getAttribute('data-options'));
    status.textContent = '';
    try {
      var answer = button.getAttribute('data-passkey') === 'register'
        ? await SimpleWebAuthnBrowser.startRegistration({ optionsJSON: optionsJSON })
        : await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: optionsJSON });
      form.elements.credential.value = JSON.stringify(answer);
      form.submit();
    } catch (err) {
      status.textContent = 'パスキーを使えませんでした。 The passkey could not be used. (' + err.name + ')';
    }
  });
});
`;

export function registerPasskeyAssets(app: FastifyInstance): void {
  // The package exports only its module entry; the browser bundle sits beside it in the published package.
  const bundle = fs.readFileSync(path.join(path.dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
  const script = (body: string) => async (_request: unknown, reply: { header(k: string, v: string): typeof reply; type(t: string): typeof reply; send(b: string): unknown }) =>
    reply.header('Cache-Control', 'public, max-age=3600').type('text/javascript; charset=utf-8').send(body);
  app.get('/login/assets/webauthn.js', script(bundle));
  app.get('/login/assets/passkey.js', script(GLUE));
}

/** A form with one button that creates ("register") or uses ("authenticate") a passkey and posts the answer to `action`. */
export function passkeyForm(action: string, ceremony: 'register' | 'authenticate', options: unknown, label: string): string {
  return `<form method="post" action="${escapeHtml(action)}" id="passkey-form">
<input type="hidden" name="credential">
<button type="button" data-passkey="${ceremony}" data-options="${escapeHtml(JSON.stringify(options))}">${label}</button>
<p role="status"></p>
</form>
<script src="/login/assets/webauthn.js"></script>
<script src="/login/assets/passkey.js"></script>`;
}

export const PASSKEY_LOGIN_LABEL = both('パスキーでログイン', 'Log in with a passkey');
export const PASSKEY_REGISTER_LABEL = both('パスキーを登録', 'Register a passkey');
