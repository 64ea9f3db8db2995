// A small W3C WebDriver client over fetch: the handful of calls the
// end-to-end tests need, against tauri-driver (which proxies to
// WebKitWebDriver). No webdriverio, no selenium.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const KEY = { CONTROL: '\uE009', ENTER: '\uE007', TAB: '\uE004' };

export class WebDriver {
  constructor(base, sessionId) {
    this.base = base;
    this.sessionId = sessionId;
  }

  static async start(base, application) {
    // Only tauri:options.application: WebKitWebDriver refuses other capabilities.
    const r = await request('POST', `${base}/session`, {
      capabilities: { alwaysMatch: { 'tauri:options': { application } } },
    });
    return new WebDriver(base, r.sessionId);
  }

  cmd(method, path, body) {
    return request(method, `${this.base}/session/${this.sessionId}${path}`, body);
  }

  async quit() {
    await this.cmd('DELETE', '').catch(() => {});
  }

  async find(css) {
    const v = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return v[ELEMENT];
  }

  async findAll(css) {
    const v = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return v.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches a displayed element; returns its id. */
  async waitFor(css, timeoutMs = 15000) {
    const until = Date.now() + timeoutMs;
    let last;
    while (Date.now() < until) {
      try {
        const id = await this.find(css);
        if (id) return id;
      } catch (e) {
        last = e;
      }
      await sleep(150);
    }
    this.onTimeout?.(css);
    throw new Error(`not found after ${timeoutMs} ms: ${css} (${last?.message ?? ''})`);
  }

  /** Waits until the page's script returns a truthy value. */
  async waitUntil(script, args = [], timeoutMs = 15000, what = script) {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (await this.exec(script, args).catch(() => false)) return;
      await sleep(150);
    }
    this.onTimeout?.(what);
    throw new Error(`timed out waiting for: ${what}`);
  }

  async click(css) {
    const id = await this.waitFor(css);
    await this.cmd('POST', `/element/${id}/click`, {});
  }

  async type(css, text) {
    const id = await this.waitFor(css);
    await this.cmd('POST', `/element/${id}/clear`, {}).catch(() => {});
    if (text !== '') await this.cmd('POST', `/element/${id}/value`, { text });
  }

  async text(css) {
    const id = await this.waitFor(css);
    return this.cmd('GET', `/element/${id}/text`);
  }

  async value(css) {
    const id = await this.waitFor(css);
    return this.cmd('GET', `/element/${id}/property/value`);
  }

  exec(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Sets an input's value as a person would (date pickers differ between engines). */
  async setValue(css, value) {
    await this.waitFor(css);
    await this.exec(
      `const el = document.querySelector(arguments[0]);
       el.focus();
       el.value = arguments[1];
       el.dispatchEvent(new Event('input', { bubbles: true }));
       el.dispatchEvent(new Event('change', { bubbles: true }));`,
      [css, value],
    );
  }

  /** Presses a key chord, e.g. Ctrl+L. */
  async chord(modifier, key) {
    await this.cmd('POST', '/actions', {
      actions: [
        {
          type: 'key',
          id: 'keyboard',
          actions: [
            { type: 'keyDown', value: modifier },
            { type: 'keyDown', value: key },
            { type: 'keyUp', value: key },
            { type: 'keyUp', value: modifier },
          ],
        },
      ],
    });
    await this.cmd('DELETE', '/actions').catch(() => {});
  }

  async bodyText() {
    return this.exec('return document.body.innerText');
  }
}

async function request(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  }
  if (!res.ok || (json.value && json.value.error)) {
    const v = json.value ?? {};
    throw new Error(`${method} ${url}: ${v.error ?? res.status} ${v.message ?? ''}`);
  }
  return json.value;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
