/**
 * store-service process entry (what the image and `npm start` run): service-kit's runService with
 * this service's config and start. Shutdown on SIGTERM/SIGINT: health NOT_SERVING → drain → gRPC
 * tryShutdown (forced after 10 s) → flush telemetry → exit.
 */
import { runService } from '@pr-canary/service-kit';
import { SERVICE_NAME } from './app';
import { loadConfig } from './config';
import { startService } from './service';

void runService({ name: SERVICE_NAME, loadConfig, start: startService });
