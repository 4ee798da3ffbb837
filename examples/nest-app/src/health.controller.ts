import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ActOnHealthIndicator } from '@acton/nest-auth';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly acton: ActOnHealthIndicator,
  ) {}

  /** Up while every configured account holds a usable token pair. */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.acton.isHealthy('acton')]);
  }
}
