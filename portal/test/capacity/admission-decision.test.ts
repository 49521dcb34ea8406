import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAdmission } from '../../src/capacity/admission-decision.js';
import { machineCapacity, parseMeminfo } from '../../src/capacity/machine.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('the admission rule (pure)', () => {
  it('admits while measured use plus one estimate fits, and not beyond', () => {
    const repls = [{ memoryBytes: 300 * MiB, fresh: false }, { memoryBytes: 300 * MiB, fresh: false }];
    assert.equal(decideAdmission({ capacityBytes: 1000 * MiB, estimateBytes: 400 * MiB, repls, reserved: 0, warm: [] }).fits, true);
    const full = decideAdmission({ capacityBytes: 1000 * MiB, estimateBytes: 401 * MiB, repls, reserved: 0, warm: [] });
    assert.equal(full.fits, false);
    assert.equal(full.shortBytes, 1 * MiB);
  });

  it('counts a starting (fresh) repl and an admitted start at no less than the estimate', () => {
    const fresh = decideAdmission({ capacityBytes: 1000 * MiB, estimateBytes: 400 * MiB, repls: [{ memoryBytes: 50 * MiB, fresh: true }], reserved: 1, warm: [] });
    assert.equal(fresh.chargedBytes, 800 * MiB);
    assert.equal(fresh.fits, false);
    const settled = decideAdmission({ capacityBytes: 1000 * MiB, estimateBytes: 400 * MiB, repls: [{ memoryBytes: 50 * MiB, fresh: false }], reserved: 1, warm: [] });
    assert.equal(settled.chargedBytes, 450 * MiB);
    assert.equal(settled.fits, true);
  });

  it("counts a repl with a memory limit of its own below the estimate (a class's per-student limit) at that limit: starting, admitted, and the start decided", () => {
    const base = { capacityBytes: 1000 * MiB, estimateBytes: 400 * MiB, warm: [] };
    assert.equal(decideAdmission({ ...base, repls: [{ memoryBytes: 50 * MiB, fresh: true }], reserved: [undefined] }).chargedBytes, 800 * MiB);
    assert.equal(decideAdmission({ ...base, repls: [{ memoryBytes: 50 * MiB, fresh: true, estimateBytes: 256 * MiB }], reserved: [256 * MiB] }).chargedBytes, 512 * MiB);
    assert.equal(decideAdmission({ ...base, repls: [{ memoryBytes: 50 * MiB, fresh: true, estimateBytes: 2048 * MiB }], reserved: [] }).chargedBytes, 400 * MiB, 'a higher own limit counts the estimate');
    const running = [{ memoryBytes: 300 * MiB, fresh: false }, { memoryBytes: 300 * MiB, fresh: false }];
    assert.equal(decideAdmission({ ...base, capacityBytes: 950 * MiB, repls: running, reserved: 0 }).fits, false, 'a typical start needs the estimate');
    assert.equal(decideAdmission({ ...base, capacityBytes: 950 * MiB, repls: running, reserved: 0, startBytes: 256 * MiB }).fits, true, 'one held to 256 MiB fits');
  });

  it('counts warm sandboxes, and says how much ending them would free', () => {
    const outcome = decideAdmission({ capacityBytes: 1000 * MiB, estimateBytes: 400 * MiB, repls: [{ memoryBytes: 400 * MiB, fresh: false }], reserved: 0, warm: [{ memoryBytes: 150 * MiB }, { memoryBytes: 150 * MiB }] });
    assert.equal(outcome.fits, false);
    assert.equal(outcome.warmBytes, 300 * MiB);
    assert.ok(outcome.shortBytes <= outcome.warmBytes, 'ending the warm sandboxes makes room');
  });

  it('refuses when the machine itself has less available than the capacity says (memory used outside Codeyard)', () => {
    const outcome = decideAdmission({ capacityBytes: 8 * GiB, estimateBytes: 400 * MiB, repls: [{ memoryBytes: 100 * MiB, fresh: true }], reserved: 0, warm: [], availableBytes: 600 * MiB });
    // 300 MiB still to grow for the fresh repl + 400 MiB for the new one > 600 MiB.
    assert.equal(outcome.fits, false);
    assert.equal(outcome.shortBytes, 100 * MiB);
  });

  it('fits 20 repls of 350 MB in 8 GiB less a 1 GiB reserve, which counting the 2 GiB limit each would hold to 3', () => {
    const capacity = machineCapacity({ reserveBytes: 1 * GiB }, { totalBytes: 8 * GiB, availableBytes: 7.5 * GiB }, 2);
    assert.equal(capacity.memoryBytes, 7 * GiB);
    const repls = Array.from({ length: 19 }, () => ({ memoryBytes: 350 * MiB, fresh: false }));
    assert.equal(decideAdmission({ capacityBytes: capacity.memoryBytes, estimateBytes: 350 * MiB, repls, reserved: 0, warm: [] }).fits, true, 'the 20th is admitted');
    assert.equal(Math.floor(capacity.memoryBytes / (2 * GiB)), 3);
  });

  it('reads MemTotal and MemAvailable from /proc/meminfo, and takes a configured capacity over the measured one', () => {
    const machine = parseMeminfo('MemTotal:       24683584 kB\nMemFree:        20975760 kB\nMemAvailable:   22813604 kB\n');
    assert.deepEqual(machine, { totalBytes: 24683584 * 1024, availableBytes: 22813604 * 1024 });
    assert.equal(machineCapacity({ reserveBytes: GiB }, machine!, 2).memoryBytes, 24683584 * 1024 - GiB);
    assert.deepEqual(machineCapacity({ configuredBytes: 2 * GiB, reserveBytes: GiB }, machine!, 2), { memoryBytes: 2 * GiB, reserveBytes: GiB, cpus: 2, source: 'configured' });
  });
});
