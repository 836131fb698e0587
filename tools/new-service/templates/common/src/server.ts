/**
 * __service_name__ process entry (what the image and `npm start` run): service-kit's runService with
 * this service's config and start.
 */
import { runService } from '@pr-canary/service-kit';
import { SERVICE_NAME } from './app';
import { loadConfig } from './config';
import { startService } from './service';

void runService({ name: SERVICE_NAME, loadConfig, start: startService });
