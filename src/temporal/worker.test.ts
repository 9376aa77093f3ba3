import { metricsBindAddress } from './worker.js';

describe('metricsBindAddress', () => {
  it('takes the HOST setting as the address the worker metrics listen on, in the form the Temporal runtime reads', () => {
    expect(metricsBindAddress('127.0.0.1', 9464)).toBe('127.0.0.1:9464');
    expect(metricsBindAddress('0.0.0.0', 9464)).toBe('0.0.0.0:9464');
    expect(metricsBindAddress('::1', 9464)).toBe('[::1]:9464');
    expect(metricsBindAddress('::', 9464)).toBe('[::]:9464');
    expect(metricsBindAddress('localhost', 9464)).toBe('127.0.0.1:9464');
    expect(metricsBindAddress('LOCALHOST', 9464)).toBe('127.0.0.1:9464');
    expect(metricsBindAddress('api.internal', 9464)).toBe('0.0.0.0:9464');
  });
});
