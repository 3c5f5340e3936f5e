/**
 * A form that is checked in the browser before it is sent, and whose refusal by
 * the server is shown on its fields as well as under it.
 */
import { ApiError } from './api';
import { describeApiError } from './webauthn';

/** How a kind of form judges its fields; `E` holds a message per field. */
export interface FormChecks<E extends object> {
  /** A message per unacceptable field (none when all are fine). */
  check?: () => E;
  /** Moves the focus to the first field with a message. */
  focus?: (errors: E) => void;
  /** A message per field from the server's refusal. */
  fromServer?: (err: ApiError) => E;
  /** What to say under the form about the server's refusal. */
  describe?: (err: ApiError) => string;
}

export interface FormSteps<E extends object> extends FormChecks<E> {
  send: () => Promise<void>;
}

export class FormState<E extends object> {
  busy = $state(false);
  /** Why the last submission failed. */
  error = $state('');
  errors = $state({} as E);
  /** What the last submission did (the page sets it in `send`). */
  status = $state('');

  readonly #steps: FormSteps<E>;

  constructor(steps: FormSteps<E>) {
    this.#steps = steps;
  }

  /** Forgets the messages of an earlier attempt (a form opened again). */
  reset(): void {
    this.error = '';
    this.errors = {} as E;
  }

  /** The form's submit handler. A second submission while one is running is ignored. */
  submit = async (event?: SubmitEvent): Promise<void> => {
    event?.preventDefault();
    if (this.busy) return;
    const steps = this.#steps;
    this.error = '';
    this.status = '';
    this.errors = steps.check?.() ?? ({} as E);
    if (Object.keys(this.errors).length > 0) {
      steps.focus?.(this.errors);
      return;
    }
    this.busy = true;
    try {
      await steps.send();
    } catch (err) {
      if (err instanceof ApiError) {
        if (steps.fromServer) this.errors = steps.fromServer(err);
        this.error = (steps.describe ?? describeApiError)(err);
        steps.focus?.(this.errors);
      } else {
        this.error = String(err);
      }
    } finally {
      this.busy = false;
    }
  };
}
