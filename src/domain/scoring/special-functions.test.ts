import { gamma, hyp2f1, lbeta, lgamma, logSumExp, sumSeries } from './special-functions.js';

const relClose = (actual: number, expected: number, rel: number) => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected)));
};

describe('lgamma', () => {
  // Reference values: exact (factorials, Γ(1/2) = √π) or from an independent implementation (CPython math.lgamma).
  it.each([
    [1, 0],
    [2, 0],
    [3, Math.log(2)],
    [0.5, 0.5 * Math.log(Math.PI)],
    [1.5, Math.log(Math.sqrt(Math.PI) / 2)],
    [2.5, Math.log((3 * Math.sqrt(Math.PI)) / 4)],
    [0.1, 2.2527126517342055],
    [0.243, 1.3180435846996699],
    [10, Math.log(362880)],
    [20, Math.log(121645100408832000)],
    [100, 359.1342053695754],
    [171.5, 709.1431630309282],
    [1e-8, 18.42068073818021],
    [-0.5, Math.log(2 * Math.sqrt(Math.PI))],
    [-1.5, Math.log((4 * Math.sqrt(Math.PI)) / 3)],
  ])('lgamma(%p) = %p', (x, expected) => {
    relClose(lgamma(x), expected, 2e-14);
  });

  it('satisfies the recurrence lnΓ(x+1) = lnΓ(x) + ln x over a wide range', () => {
    for (let x = 0.01; x < 500; x *= 1.37) relClose(lgamma(x + 1), lgamma(x) + Math.log(x), 1e-13);
  });

  it('is large but finite far out, +Infinity at the poles, NaN for NaN', () => {
    // Stirling: ln Γ(1e6) ≈ (x-0.5)ln x - x + ln(2π)/2 + 1/(12x)
    const x = 1e6;
    relClose(lgamma(x), (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x), 1e-13);
    expect(lgamma(0)).toBe(Infinity);
    expect(lgamma(-3)).toBe(Infinity);
    expect(lgamma(NaN)).toBeNaN();
  });

  it('gamma has the right sign on the negative axis', () => {
    relClose(gamma(5), 24, 1e-13);
    relClose(gamma(-0.5), -2 * Math.sqrt(Math.PI), 1e-13);
    relClose(gamma(-1.5), (4 * Math.sqrt(Math.PI)) / 3, 1e-13);
    expect(gamma(-2)).toBeNaN();
  });
});

describe('lbeta and logSumExp', () => {
  it('lbeta matches B(a,b) = Γ(a)Γ(b)/Γ(a+b)', () => {
    relClose(lbeta(1, 1), 0, 1e-14);
    relClose(lbeta(2, 3), Math.log(1 / 12), 1e-14);
    relClose(lbeta(0.5, 0.5), Math.log(Math.PI), 1e-14);
    expect(() => lbeta(0, 1)).toThrow(RangeError);
  });

  it('logSumExp does not overflow', () => {
    relClose(logSumExp(Math.log(2), Math.log(3)), Math.log(5), 1e-15);
    relClose(logSumExp(1000, 1000), 1000 + Math.log(2), 1e-15);
    expect(logSumExp(-Infinity, 5)).toBe(5);
    expect(logSumExp(-Infinity, -Infinity)).toBe(-Infinity);
  });
});

describe('sumSeries', () => {
  it('sums a geometric series and an exponential series', () => {
    relClose(sumSeries(1, () => 0.5, { ratioLimit: 0.5 }), 2, 1e-14);
    relClose(sumSeries(1, (n) => 3 / (n + 1), { warmUp: 3 }), Math.exp(3), 1e-14);
  });

  it('refuses a divergent series', () => {
    expect(() => sumSeries(1, () => 1, {}, { maxTerms: 1000 })).toThrow(/did not converge/);
    expect(() => sumSeries(1, () => 2)).toThrow(RangeError);
  });
});

describe('hyp2f1', () => {
  it('matches closed forms inside the unit disc', () => {
    for (const z of [-0.9, -0.3, 0.1, 0.5, 0.9, 0.99]) {
      relClose(hyp2f1(1, 1, 2, z), -Math.log(1 - z) / z, 1e-12); // ln(1-z)
      relClose(hyp2f1(2.5, 0.7, 0.7, z), Math.pow(1 - z, -2.5), 1e-12); // (1-z)^-a
      relClose(hyp2f1(0.5, 1, 1.5, z * z), Math.atanh(z) / z, 1e-12);
      relClose(hyp2f1(0.5, 0.5, 1.5, z * z), Math.asin(z) / z, 1e-12);
    }
  });

  it('uses Gauss at z = 1 and terminates for non-positive integer a or b', () => {
    // 2F1(1,1;3;1) = Γ(3)Γ(1)/(Γ(2)Γ(2)) = 2
    relClose(hyp2f1(1, 1, 3, 1), 2, 1e-13);
    // 2F1(-2, b; c; z) = 1 - 2bz/c + b(b+1)z²/(c(c+1))
    const [b, c, z] = [1.5, 2.5, 3];
    relClose(hyp2f1(-2, b, c, z), 1 - (2 * b * z) / c + (b * (b + 1) * z * z) / (c * (c + 1)), 1e-14);
    expect(hyp2f1(0, b, c, 7)).toBe(1);
  });

  it('refuses arguments outside its domain', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(/z = 1/); // c - a - b = 0: diverges
    expect(() => hyp2f1(1, 1, 2, 1.5)).toThrow(/domain/);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(/pole/);
    expect(() => hyp2f1(1, 1, 2, NaN)).toThrow(RangeError);
  });
});
