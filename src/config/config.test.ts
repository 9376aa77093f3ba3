import { ConfigError, loadConfig } from './config.js';

const base = { DATABASE_URL: 'postgres://localhost/x' };

describe('TRUST_PROXY', () => {
  it('trusts no proxy unless told', () => {
    expect(loadConfig(base).api.trustProxy).toBe(false);
    expect(loadConfig({ ...base, TRUST_PROXY: 'false' }).api.trustProxy).toBe(false);
  });

  it('takes a number of proxies, or named ranges, addresses and subnets', () => {
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).api.trustProxy).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.0.2.10' }).api.trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.10']);
  });

  it.each(['true', 'everyone', '10.0.0.0/33', '10.0.0/8', '10.0.0.0/8/1', 'fd00::/129'])('refuses %p, saying what it takes', (value) => {
    expect(() => loadConfig({ ...base, TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, TRUST_PROXY: value })).toThrow(/TRUST_PROXY must be a number of proxies or a list/);
  });
});

describe('AUTH_FAILURES_PER_MINUTE', () => {
  it('is 30 unless set; 0 turns the limit off', () => {
    expect(loadConfig(base).api.authFailuresPerMinute).toBe(30);
    expect(loadConfig({ ...base, AUTH_FAILURES_PER_MINUTE: '0' }).api.authFailuresPerMinute).toBe(0);
    expect(() => loadConfig({ ...base, AUTH_FAILURES_PER_MINUTE: '-1' })).toThrow(/AUTH_FAILURES_PER_MINUTE must be a non-negative integer/);
  });
});

describe('METRICS_TOKEN', () => {
  it('is none unless set, and at least 16 characters without spaces when set', () => {
    expect(loadConfig(base).api.metricsToken).toBeNull();
    expect(loadConfig({ ...base, METRICS_TOKEN: ' scrape-token-0123456789 ' }).api.metricsToken).toBe('scrape-token-0123456789');
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be 16 characters or more/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'has a space 0123456789' })).toThrow(/without spaces/);
  });
});
