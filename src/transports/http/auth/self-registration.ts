/**
 * The resident's own registration page: what is printed on their card (number and secret), their birth date,
 * a username and a password. The checks, the guess limit and the audit are the registration's
 * (auth/self-registration.ts); this page shows its refusals in the resident's words.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResidentRegistration } from '../../../auth/self-registration';
import { both, button, form, page } from '../../../auth/oidc/pages';

export function registerSelfRegistration(app: FastifyInstance, registration: ResidentRegistration): void {
  const html = (reply: FastifyReply, body: string, status = 200) => reply.status(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(body);

  app.get('/register', async (_request, reply) => html(reply, registrationPage()));

  app.post('/register', async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const field = (name: string) => String(body[name] ?? '');
    const outcome = await registration.register({ cardNumber: field('cardNumber'), cardSecret: field('cardSecret'), birthDate: field('birthDate'), username: field('username'), password: field('password') }, request.ip);
    if ('refused' in outcome) return html(reply, registrationPage(outcome.refused.text), outcome.refused.status);
    return html(reply, page('登録しました Registered', `<p>${both('アカウントを作成しました。アプリからログインしてください。', 'Your account is ready. Log in from your app.')}</p>`), 201);
  });
}

function registrationPage(error?: string): string {
  return page(
    '住民の登録 Resident registration',
    `<p>${both('かかりつけ医カードの番号とカード暗証、生年月日で、ご自分のアカウントを作れます。', 'Make your own account with the number and secret on your card and your birth date.')}</p>` +
      form(
        '/register',
        [
          { name: 'cardNumber', label: both('カード番号', 'Card number'), inputmode: 'numeric', autocomplete: 'off' },
          { name: 'cardSecret', label: both('カード暗証', 'Card secret'), autocomplete: 'off' },
          { name: 'birthDate', label: both('生年月日', 'Birth date'), type: 'date', autocomplete: 'bday' },
          { name: 'username', label: both('ユーザー名', 'Username'), autocomplete: 'username' },
          { name: 'password', label: both('パスワード（10文字以上）', 'Password (10 characters or more)'), type: 'password', autocomplete: 'new-password' },
        ],
        button(both('登録', 'Register'))
      ),
    error
  );
}
