// The dashboard's entry point: global styles, then the root element (which imports the rest).
import './styles/global.css';
import './elements/codeyard-app/codeyard-app.js';
