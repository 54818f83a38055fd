import { readdirSync, readFileSync } from 'node:fs';
import type { BatchObservableResult, Meter, MeterProvider, Observable, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, InstrumentationConfig } from '@opentelemetry/instrumentation';
import { family, type FamilyName } from '../catalogue';
import { errorText, warn } from '../core/log';
import { VERSION } from '../core/version';
import { exposedName } from '../core/registry';
import { constructorNames, countByType, parseMaxOpenFiles, parseProcStatus, startTimeSeconds, versionLabels } from './parse';

/** Meter of autoprom's own process_* and nodejs_* observables (Views scope by it). */
export const PROCESS_METER = 'autoprom-runtime';

/** Taken once, as prom-client does when it is loaded. */
const START_TIME_SECONDS = startTimeSeconds(Date.now(), process.uptime());
const VERSION_LABELS = versionLabels(process.version);
const IS_LINUX = process.platform === 'linux';

/** Node's undocumented handle and request lists that prom-client reads (still present in Node 22 and 24). */
type ActiveList = () => unknown[];
const processInternals = process as unknown as { _getActiveHandles?: ActiveList; _getActiveRequests?: ActiveList };

export interface ProcessMetricsOptions {
  readonly namespace: string;
  /** Most distinct `type` values remembered per labelled family. */
  readonly cardinalityLimit: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

let maxFds: number | undefined | null = null;
/** process_max_fds, read once (the soft limit does not change under a running Node process in practice). */
function maxOpenFiles(): number | undefined {
  if (maxFds === null) {
    const limits = readText('/proc/self/limits');
    maxFds = limits === undefined ? undefined : parseMaxOpenFiles(limits);
  }
  return maxFds;
}

function openFds(): number | undefined {
  try {
    // Minus the descriptor readdirSync itself held open while listing.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/**
 * The process_* and nodejs_* families that OpenTelemetry's runtime instrumentation does not
 * record, as observables read at collection time only: nothing runs between scrapes.
 * It implements the Instrumentation interface so that registerInstrumentations hands it the
 * MeterProvider, without InstrumentationBase (whose module-load hook it has no use for).
 */
export class ProcessMetricsInstrumentation implements Instrumentation<InstrumentationConfig> {
  readonly instrumentationName = PROCESS_METER;
  readonly instrumentationVersion = VERSION;
  private config: InstrumentationConfig = { enabled: true };
  private readonly knownTypes = { handles: new Set<string>(), requests: new Set<string>(), resources: new Set<string>() };

  constructor(private readonly options: ProcessMetricsOptions) {}

  setMeterProvider(meterProvider: MeterProvider): void {
    try {
      this.createInstruments(meterProvider.getMeter(PROCESS_METER), this.options);
    } catch (err) {
      warn(`could not create process/runtime metrics: ${errorText(err)}`);
    }
  }

  setTracerProvider(_tracerProvider: TracerProvider): void {
    // Metrics only.
  }

  enable(): void {
    this.config = { ...this.config, enabled: true };
  }

  disable(): void {
    this.config = { ...this.config, enabled: false };
  }

  getConfig(): InstrumentationConfig {
    return this.config;
  }

  setConfig(config: InstrumentationConfig): void {
    this.config = { ...config, enabled: config.enabled ?? true };
  }

  private get enabled(): boolean {
    return this.config.enabled !== false;
  }

  private createInstruments(meter: Meter, options: ProcessMetricsOptions): void {
    const ns = options.namespace;
    const opts = (name: FamilyName) => ({ description: family(name).help });
    const gauge = (name: FamilyName) => meter.createObservableGauge(exposedName(family(name), ns), opts(name));
    const counter = (name: FamilyName) => meter.createObservableCounter(exposedName(family(name), ns), opts(name));

    const cpuUser = counter('process_cpu_user_seconds_total');
    const cpuSystem = counter('process_cpu_system_seconds_total');
    const cpuTotal = counter('process_cpu_seconds_total');
    const startTime = gauge('process_start_time_seconds');
    const resident = gauge('process_resident_memory_bytes');
    const linux = IS_LINUX
      ? {
          virtual: gauge('process_virtual_memory_bytes'),
          heap: gauge('process_heap_bytes'),
          openFds: gauge('process_open_fds'),
          maxFds: maxOpenFiles() !== undefined ? gauge('process_max_fds') : undefined,
        }
      : undefined;
    const heapTotal = gauge('nodejs_heap_size_total_bytes');
    const heapUsed = gauge('nodejs_heap_size_used_bytes');
    const external = gauge('nodejs_external_memory_bytes');
    const version = gauge('nodejs_version_info');

    const hasResources = typeof process.getActiveResourcesInfo === 'function';
    const resources = hasResources
      ? { byType: gauge('nodejs_active_resources'), total: gauge('nodejs_active_resources_total') }
      : undefined;
    const hasHandles = typeof processInternals._getActiveHandles === 'function';
    const handles = hasHandles ? { byType: gauge('nodejs_active_handles'), total: gauge('nodejs_active_handles_total') } : undefined;
    const hasRequests = typeof processInternals._getActiveRequests === 'function';
    const requests = hasRequests ? { byType: gauge('nodejs_active_requests'), total: gauge('nodejs_active_requests_total') } : undefined;

    const observables: Observable[] = [cpuUser, cpuSystem, cpuTotal, startTime, resident, heapTotal, heapUsed, external, version];
    if (linux !== undefined)
      observables.push(linux.virtual, linux.heap, linux.openFds, ...(linux.maxFds !== undefined ? [linux.maxFds] : []));
    for (const pair of [resources, handles, requests]) if (pair !== undefined) observables.push(pair.byType, pair.total);

    const limit = options.cardinalityLimit;
    const observeByType = (
      r: BatchObservableResult,
      pair: { byType: Observable; total: Observable },
      names: string[],
      total: number,
      known: Set<string>,
    ) => {
      for (const [type, n] of countByType(names, known, limit)) r.observe(pair.byType, n, { type });
      r.observe(pair.total, total);
    };

    meter.addBatchObservableCallback((r) => {
      if (!this.enabled) return;
      const cpu = process.cpuUsage();
      r.observe(cpuUser, cpu.user / 1e6);
      r.observe(cpuSystem, cpu.system / 1e6);
      r.observe(cpuTotal, (cpu.user + cpu.system) / 1e6);
      r.observe(startTime, START_TIME_SECONDS);

      let memory: NodeJS.MemoryUsage | undefined;
      try {
        memory = process.memoryUsage();
      } catch {
        // It can throw on some platforms (prom-client #67): skip those gauges this time.
      }
      if (memory !== undefined) {
        r.observe(heapTotal, memory.heapTotal);
        r.observe(heapUsed, memory.heapUsed);
        r.observe(external, memory.external);
      }

      const status = linux !== undefined ? readText('/proc/self/status') : undefined;
      const fromStatus = status !== undefined ? parseProcStatus(status) : undefined;
      const rss = fromStatus?.residentBytes ?? memory?.rss;
      if (rss !== undefined) r.observe(resident, rss);
      if (linux !== undefined) {
        if (fromStatus?.virtualBytes !== undefined) r.observe(linux.virtual, fromStatus.virtualBytes);
        if (fromStatus?.heapBytes !== undefined) r.observe(linux.heap, fromStatus.heapBytes);
        const fds = openFds();
        if (fds !== undefined) r.observe(linux.openFds, fds);
        const max = maxOpenFiles();
        if (linux.maxFds !== undefined && max !== undefined) r.observe(linux.maxFds, max);
      }

      if (resources !== undefined) {
        const list = process.getActiveResourcesInfo();
        observeByType(r, resources, list, list.length, this.knownTypes.resources);
      }
      if (handles !== undefined) {
        const list = processInternals._getActiveHandles!();
        observeByType(r, handles, constructorNames(list), list.length, this.knownTypes.handles);
      }
      if (requests !== undefined) {
        const list = processInternals._getActiveRequests!();
        observeByType(r, requests, constructorNames(list), list.length, this.knownTypes.requests);
      }

      r.observe(version, 1, VERSION_LABELS);
    }, observables);

    // prom-client's nodejs_eventloop_lag_seconds: how long a setImmediate takes to run, measured
    // at scrape. Registered after the callback above so its pending Immediate is not counted there.
    const lag = gauge('nodejs_eventloop_lag_seconds');
    meter.addBatchObservableCallback(
      (r) => {
        if (!this.enabled) return undefined;
        const start = process.hrtime.bigint();
        return new Promise<void>((resolve) => {
          setImmediate(() => {
            r.observe(lag, Number(process.hrtime.bigint() - start) / 1e9);
            resolve();
          });
        });
      },
      [lag],
    );
  }
}
