import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { loadConfig } from './lib/config.svelte';
import { locale } from './lib/i18n';
import { startRouter } from './lib/router';
import { loadSession } from './lib/session.svelte';

document.documentElement.lang = locale;
startRouter();
void loadConfig();
void loadSession();

const target = document.getElementById('app');
if (!target) throw new Error('Missing #app element');

export default mount(App, { target });
