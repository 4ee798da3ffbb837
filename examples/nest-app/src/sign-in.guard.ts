import { HttpException, Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { describeSignInFailure, type SignInFailure } from './sign-in-failure';

/** Thrown by {@link SignInGuard}; {@link SignInFailureFilter} renders it as a page that says what happened. */
export class SignInFailedException extends HttpException {
  constructor(readonly failure: SignInFailure) {
    super(failure.title, failure.status);
  }
}

/** Starts the Act-On sign-in, and on the callback signs the person in to the session. */
@Injectable()
export class SignInGuard extends AuthGuard('acton') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = (await super.canActivate(context)) as boolean;
    await super.logIn(context.switchToHttp().getRequest<Request>());
    return allowed;
  }

  override handleRequest<TUser>(
    error: unknown,
    user: TUser | false,
    info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (error === null || error === undefined) {
      if (user) return user;
    }
    const request = context.switchToHttp().getRequest<Request>();
    throw new SignInFailedException(
      describeSignInFailure(error, info, request.query as Record<string, unknown>),
    );
  }
}
