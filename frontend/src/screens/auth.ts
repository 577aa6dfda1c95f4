import { api, type RegisterInput } from '../api.js';
import { busy, formValues, h } from '../dom.js';
import { errorBox } from '../notify.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import type { AuthResult, Role } from '../types.js';

/** Where each role starts after signing in. */
export function homeFor(role: Role | undefined): string {
  if (role === 'restaurant_owner') return '/owner/orders';
  if (role === 'driver') return '/driver';
  return '/restaurants';
}

function signedIn(result: AuthResult): void {
  session.start(result.user, result);
  navigate(homeFor(result.user.role));
}

function field(label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

function authForm(
  title: string,
  fields: HTMLElement[],
  submitLabel: string,
  footer: HTMLElement,
  onSubmit: (values: Record<string, string>) => Promise<void>,
): HTMLElement {
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h(
    'form',
    { class: 'card stack', novalidate: false },
    h('h1', {}, title),
    errors,
    ...fields,
    submit,
    footer,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.replaceChildren();
    void busy(submit, async () => {
      try {
        await onSubmit(formValues(form));
      } catch (err) {
        errors.replaceChildren(errorBox(err));
      }
    });
  });
  return h('section', { class: 'auth' }, form);
}

export function signInScreen(outlet: HTMLElement): void {
  outlet.append(
    authForm(
      'Sign in',
      [
        field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true })),
        field(
          'Password',
          h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
        ),
      ],
      'Sign in',
      h('p', {}, 'New to Food Flow? ', h('a', { href: '#/register' }, 'Create an account')),
      async ({ email = '', password = '' }) => signedIn(await api.login(email, password)),
    ),
  );
}

const ROLES: [RegisterInput['role'], string][] = [
  ['customer', 'I want to order food'],
  ['restaurant_owner', 'I run a restaurant'],
  ['driver', 'I deliver orders'],
];

export function registerScreen(outlet: HTMLElement): void {
  const roleChoice = h(
    'fieldset',
    { class: 'roles' },
    h('legend', {}, 'I am joining as'),
    ROLES.map(([role, label], i) =>
      h(
        'label',
        { class: 'role' },
        h('input', { type: 'radio', name: 'role', value: role, checked: i === 0 }),
        h('span', {}, label),
      ),
    ),
  );
  outlet.append(
    authForm(
      'Create an account',
      [
        roleChoice,
        h(
          'div',
          { class: 'row' },
          field('First name', h('input', { name: 'firstName', autocomplete: 'given-name', required: true })),
          field('Last name', h('input', { name: 'lastName', autocomplete: 'family-name', required: true })),
        ),
        field('Email', h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true })),
        field(
          'Password (8 to 72 characters)',
          h('input', {
            name: 'password',
            type: 'password',
            autocomplete: 'new-password',
            minlength: 8,
            maxlength: 72,
            required: true,
          }),
        ),
      ],
      'Create account',
      h('p', {}, 'Already have an account? ', h('a', { href: '#/login' }, 'Sign in')),
      async (values) => {
        const input: RegisterInput = {
          email: values['email'] ?? '',
          password: values['password'] ?? '',
          firstName: values['firstName'] ?? '',
          lastName: values['lastName'] ?? '',
          role: (values['role'] as RegisterInput['role'] | undefined) ?? 'customer',
        };
        signedIn(await api.register(input));
      },
    ),
  );
}
