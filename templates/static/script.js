// Runs in the browser: count clicks on the button.
const button = document.getElementById('count');
let clicks = 0;
button.addEventListener('click', () => {
  clicks += 1;
  button.textContent = `Clicked ${clicks} time${clicks === 1 ? '' : 's'}`;
});
