import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEAP_WARN, MACHINE_WARN, memoryAlarms, previousRunNote, type Alarms, type HubStatus, type MemorySample } from '../../shared/cli/hub-status.ts';

const sampleOf = (heapShare: number, machineShare: number): MemorySample => ({
  rssMb: 1000,
  heapUsedMb: Math.round(heapShare * 4000),
  heapLimitMb: 4000,
  machineAvailableMb: Math.round(machineShare * 24000),
  machineTotalMb: 24000,
});

const status = (over: Partial<HubStatus> = {}): HubStatus => ({
  pid: 42,
  startedAt: '2026-11-30T05:00:00.000Z',
  seenAt: '2026-11-30T05:06:00.000Z',
  state: 'running',
  memory: sampleOf(0.3, 0.5),
  peak: { rssMb: 1200, heapUsedMb: 1300 },
  doing: ['import crm-0123456789abcdef: storing, row 2000000, 100% of 900 MB'],
  ...over,
});

describe('memoryAlarms', () => {
  it('says each alarm once per crossing, however long memory stays high, and again after it fell back', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ heap: fc.double({ min: 0, max: 1, noNaN: true }), machine: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 60 }), (shares) => {
        let raised: Alarms = { heap: false, machine: false };
        for (const s of shares) {
          const before = raised;
          const out = memoryAlarms(sampleOf(s.heap, s.machine), raised);
          // Said exactly when it goes from lowered to raised.
          expect(out.say.includes('heap')).toBe(!before.heap && out.raised.heap);
          expect(out.say.includes('machine')).toBe(!before.machine && out.raised.machine);
          // Never raised below its warning level from lowered; never lowered while still at it.
          const heap = Math.round(s.heap * 4000) / 4000;
          const machine = Math.round(s.machine * 24000) / 24000;
          if (!before.heap) expect(out.raised.heap).toBe(heap >= HEAP_WARN);
          if (heap >= HEAP_WARN) expect(out.raised.heap).toBe(true);
          if (!before.machine) expect(out.raised.machine).toBe(machine <= MACHINE_WARN);
          if (machine <= MACHINE_WARN) expect(out.raised.machine).toBe(true);
          raised = out.raised;
        }
      }),
    );
  });

  it('a machine without /proc/meminfo never raises the machine alarm', () => {
    expect(memoryAlarms({ rssMb: 1, heapUsedMb: 1, heapLimitMb: 100 }, { heap: false, machine: false }).say).toEqual([]);
  });
});

describe('previousRunNote', () => {
  it('says nothing about a first start or a clean stop', () => {
    expect(previousRunNote(undefined)).toBeUndefined();
    expect(previousRunNote(status({ state: 'stopped', endedAt: '2026-11-30T05:07:00.000Z', reason: 'SIGTERM' }))).toBeUndefined();
  });

  it('an unclean end is an error naming its last sign of life, its memory, its long job and a likely cause', () => {
    const note = previousRunNote(status())!;
    expect(note.level).toBe('error');
    expect(note.msg).toContain('without a clean stop');
    expect(note.msg).toContain('2026-11-30T05:06:00.000Z');
    expect(note.fields).toMatchObject({ pid: 42, during: expect.stringContaining('import crm-0123456789abcdef'), lastSeen: expect.stringContaining('heap 1200 of 4000 MB') });
    expect(note.fields.likelyCause).toMatch(/SIGKILL/);
  });

  it('guesses the heap limit when the heap was nearly full, the OOM killer when the machine was out of memory', () => {
    expect(previousRunNote(status({ memory: sampleOf(0.9, 0.5) }))!.fields.likelyCause).toMatch(/heap limit/);
    expect(previousRunNote(status({ memory: sampleOf(0.3, 0.05) }))!.fields.likelyCause).toMatch(/OOM killer/);
  });

  it('a death the hub could log is repeated as a warning with its reason', () => {
    const note = previousRunNote(status({ state: 'died', endedAt: '2026-11-30T05:06:01.000Z', reason: 'uncaught exception: the hub exits: Error: boom' }))!;
    expect(note.level).toBe('warn');
    expect(note.msg).toContain('Error: boom');
  });
});
