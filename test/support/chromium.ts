import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The headless Chromium of the browser test, from Debian's packages: CHROMIUM_PATH, or
 * /usr/bin/chromium, installed with apt-get when missing and the tests run as root (CI).
 */
export function ensureChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error('The browser test needs Chromium: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH');
  }
  const install = () => execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    install();
  }
  return '/usr/bin/chromium';
}
