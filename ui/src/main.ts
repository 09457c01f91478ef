// First: repairs navigator.language before anything formats with it (see the module).
import './lib/locale-guard';
import { mount } from 'svelte';
import App from './App.svelte';
import './styles.css';

const target = document.getElementById('app');
if (target) mount(App, { target });
