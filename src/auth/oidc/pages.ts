/**
 * The pages a person sees while logging in: server-rendered, Japanese first with English beside it, plain
 * forms with labels so they work with a screen reader and without JavaScript (except the passkey button).
 */
export interface Field {
  name: string;
  label: string;
  type?: string;
  autocomplete?: string;
  inputmode?: string;
}

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A whole page: the heading, an optional error announced to assistive technology, and the body. */
export function page(title: string, body: string, error?: string): string {
  return `<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Tonet</title>
<style>
body{font-family:system-ui,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1a1a1a}
label{display:block;margin-top:1rem;font-weight:600}
input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #555;border-radius:4px}
button{font-size:1rem;padding:.6rem 1.2rem;margin-top:1.2rem;margin-right:.5rem;border-radius:4px;border:1px solid #0b4f8a;background:#0b5cad;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b5cad}
.error{border-left:4px solid #b00020;background:#fdecee;padding:.5rem 1rem;margin:1rem 0}
.en{color:#444;font-weight:400}
code{font-size:1.05rem;word-break:break-all}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${error ? `<div class="error" role="alert" id="error">${escapeHtml(error)}</div>` : ''}
${body}
</main>
</body>
</html>`;
}

/** A form posting to `action`, one labelled input per field, and its buttons. */
export function form(action: string, fields: Field[], buttons: string, extra = ''): string {
  const inputs = fields
    .map(
      (f) =>
        `<label for="${f.name}">${f.label}</label><input id="${f.name}" name="${f.name}" type="${f.type ?? 'text'}"${f.autocomplete ? ` autocomplete="${f.autocomplete}"` : ''}${f.inputmode ? ` inputmode="${f.inputmode}"` : ''} required>`
    )
    .join('\n');
  return `<form method="post" action="${escapeHtml(action)}">\n${extra}${inputs}\n${buttons}\n</form>`;
}

export function button(label: string, name?: string, value?: string, secondary = false): string {
  return `<button type="submit"${name ? ` name="${name}" value="${escapeHtml(value)}"` : ''}${secondary ? ' class="secondary"' : ''}>${label}</button>`;
}

/** Japanese then English, the English marked as such for screen readers. */
export function both(ja: string, en: string): string {
  return `${escapeHtml(ja)} <span class="en" lang="en">${escapeHtml(en)}</span>`;
}
