from sortext.cli import main

main()
