from kxsheets.cli import main

main()
