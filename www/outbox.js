// The dev outbox panel: the email and text messages the local server
// "sent" (GET {baseUrl}/dev/outbox), newest first, polled while the page is
// visible. Items are keyed by id and updated in place, so polling never
// moves the keyboard focus.
import { formatAgo, formatTime } from './format.js';

const POLL_MS = 1500;
const CHANNELS = { email: 'Email', sms: 'Text', whatsapp: 'WhatsApp' };

export function startOutbox({ baseUrl, list, status, clearButton }) {
  const items = new Map(); // id → { li, message }
  let timer;
  let inFlight = null;
  let reachable = null;

  async function poll() {
    clearTimeout(timer);
    inFlight ??= fetch(`${baseUrl}/dev/outbox?limit=25`, { headers: { accept: 'application/json' } })
      .then(async (response) => {
        if (!response.ok) throw new Error(String(response.status));
        render((await response.json()).messages ?? []);
        reachable = true;
      })
      .catch(() => {
        if (reachable !== false) {
          // The outbox answers its own origin only (it holds live links and codes).
          status.textContent = new URL(baseUrl).origin === location.origin
            ? `No dev outbox at ${baseUrl} (it exists on the local latchkey-server only).`
            : `The dev outbox is readable from its own origin only: open ${baseUrl}/dev/outbox.`;
        }
        reachable = false;
      })
      .finally(() => {
        inFlight = null;
        if (!document.hidden) timer = setTimeout(poll, POLL_MS);
      });
    return inFlight;
  }

  function render(messages) {
    const ids = new Set(messages.map((m) => m.id));
    for (const [id, item] of items) {
      if (!ids.has(id)) { item.li.remove(); items.delete(id); }
    }
    // In the server's order (newest first), each item placed right after the previous one.
    let before = list.firstElementChild;
    for (const message of messages) {
      let item = items.get(message.id);
      if (!item) {
        const li = renderMessage(message);
        if (reachable !== null) li.classList.add('fresh');
        item = { li, message };
        items.set(message.id, item);
        list.insertBefore(li, before);
      } else if (item.li !== before) {
        list.insertBefore(item.li, before);
      }
      before = item.li.nextElementSibling;
      const ago = item.li.querySelector('time');
      ago.textContent = formatAgo(message.created_at);
    }
    status.textContent = messages.length
      ? `${messages.length} message${messages.length === 1 ? '' : 's'} · updates live`
      : 'No messages yet. Ask for a sign-in link or a code and it appears here.';
  }

  clearButton.addEventListener('click', async () => {
    clearButton.disabled = true;
    try {
      await fetch(`${baseUrl}/dev/outbox`, { method: 'DELETE' });
      await poll();
    } catch { /* shown by the next poll */ } finally {
      clearButton.disabled = false;
    }
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) poll(); });
  poll();
  return { refresh: poll };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function renderMessage(m) {
  const subjectId = `msg-${m.id}-subject`;
  const li = el('li', { class: 'message', 'data-channel': m.channel, 'data-recipient': m.recipient });
  li.append(
    el('div', { class: 'message-head' },
      el('span', { class: `badge ${m.channel}`, text: CHANNELS[m.channel] ?? m.channel }),
      el('span', { class: 'recipient', text: m.recipient }),
      el('time', { datetime: m.created_at, title: formatTime(m.created_at) })),
    el('p', { class: 'message-subject', id: subjectId, text: m.subject || '(no subject)' }),
  );
  if (m.code) {
    const copy = el('button', { class: 'btn small', type: 'button', 'aria-label': `Copy code ${m.code}` }, 'Copy');
    copy.addEventListener('click', () => copyText(m.code, copy));
    li.append(el('div', { class: 'code-row' }, el('code', { class: 'otp', text: m.code }), copy));
  }
  if (m.link) {
    li.append(el('a', { class: 'btn small primary', href: m.link, 'aria-describedby': subjectId }, 'Open link'));
  }
  if (m.body) {
    li.append(el('details', {}, el('summary', { text: 'Full message' }), el('pre', { class: 'body', text: m.body })));
  }
  return li;
}

async function copyText(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    // No clipboard permission (or not a secure context): the old way.
    const area = el('textarea', { class: 'visually-hidden' });
    area.value = text;
    document.body.append(area);
    area.select();
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    button.focus();
  }
  button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
}
