import type { FormFieldRef } from './formFieldOf';

/** The first element of the form field `name` that takes focus (rjsf ids it `root_<name>`). */
function fieldControl(name: string): HTMLElement | null {
  const field = document.getElementById(`root_${name}`);
  if (field?.matches('input, select, textarea, button, [tabindex]'))
    return field;
  return (
    field?.querySelector<HTMLElement>('input, select, textarea, button') ??
    // A field made of several (an object field): its first part, `root_<name>_<part>`.
    document.querySelector<HTMLElement>(`[id^="root_${name}_"]`)
  );
}

/** Resolves with what `find` finds once it is in the page, or undefined after `ms`. */
function appearing<T>(
  find: () => T | null,
  ms: number,
): Promise<T | undefined> {
  return new Promise(resolve => {
    const found = find();
    if (found) {
      resolve(found);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const observer = new MutationObserver(() => {
      const now = find();
      if (!now) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve(now);
    });
    timer = setTimeout(() => {
      observer.disconnect();
      resolve(undefined);
    }, ms);
    observer.observe(document.body, { childList: true, subtree: true });
  });
}

/**
 * Takes the developer to `field` from a later page of the same scaffolder form: opens its page
 * through the form's stepper (whose labels of the pages already filled go back to them when
 * clicked, as a person would), then focuses the field. `from` is an element of the current page.
 * Resolves false when the page or the field is not there (a form with no such stepper).
 */
export async function goToField(
  field: FormFieldRef,
  from: HTMLElement,
): Promise<boolean> {
  if (!fieldControl(field.name) && field.page) {
    // The stepper is beside the form's wrapper: its labels are the texts that equal a page's
    // title, outside the form.
    const form = from.closest('form');
    const label = Array.from(
      form?.parentElement?.parentElement?.querySelectorAll<HTMLElement>(
        'span, div, p',
      ) ?? [],
    ).find(
      el =>
        el.childElementCount === 0 &&
        el.textContent === field.page &&
        !form?.contains(el),
    );
    label?.click();
  }
  const control = await appearing(() => fieldControl(field.name), 3000);
  if (!control) return false;
  // Focusing scrolls the field into view.
  control.focus();
  return true;
}
